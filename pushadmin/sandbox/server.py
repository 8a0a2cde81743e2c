"""A small HTTP/1.1 server for the sandbox on a bare asyncio Protocol.

Why not a framework: the benchmark target (hundreds of 100-target calls per
second on two cores) leaves no room for per-request framework overhead, and
the sandbox needs only keep-alive, Content-Length bodies and the raw bytes of
each request (the V3 signature covers the exact body and the Host header).
One process holds all state, so MsgKey uniqueness and nonce replay checks need
no cross-process coordination.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Callable

from pushadmin.sandbox.auth import Incoming
from pushadmin.sandbox.handlers import JSON_TYPE, Reply, SandboxApp, parse_query
from pushadmin.sandbox.options import SandboxOptions

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class _Connection(asyncio.Protocol):
    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        # A delayed reply is in flight: later pipelined requests wait for it.
        self.waiting = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.waiting:
            self._drain()

    def _drain(self) -> None:
        while not self.closed and not self.waiting:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._fail(431)
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            headers: dict[str, str] = {}
            for line in header_lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            parts = request_line.split(" ")
            if len(parts) != 3:
                self._fail(400)
                return
            method, target, http_version = parts
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self._fail(411)
                return
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                self._fail(400)
                return
            if length < 0 or length > MAX_BODY_BYTES:
                self._fail(413)
                return
            total = end + 4 + length
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            path, _, raw_query = target.partition("?")
            keep_alive = headers.get("connection", "").lower() != "close" and http_version == "HTTP/1.1"
            request = Incoming(method, path, parse_query(raw_query), headers, body)
            try:
                reply = self.app.handle(request)
            except Exception as exc:  # a sandbox bug must not kill the connection loop
                print(f"sandbox error: {exc!r}", file=sys.stderr, flush=True)
                reply = Reply(500, b'{"Code":"InternalError","Message":"sandbox error"}')
            if reply.delay > 0:
                self.waiting = True
                asyncio.get_running_loop().call_later(reply.delay, self._send_later, reply, keep_alive)
                return
            self._send(reply, keep_alive)

    def _send_later(self, reply: Reply, keep_alive: bool) -> None:
        self.waiting = False
        if self.closed:
            return
        self._send(reply, keep_alive)
        self._drain()

    def _send(self, reply: Reply, keep_alive: bool) -> None:
        transport = self.transport
        assert transport is not None
        if reply.drop:
            # The call was applied; the client must not learn the outcome.
            transport.abort()
            self.closed = True
            return
        extra = f"x-acs-request-id: {reply.request_id}\r\n" if reply.request_id else ""
        head = (
            f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Unknown')}\r\n"
            f"Content-Type: {JSON_TYPE}\r\n"
            f"Content-Length: {len(reply.body)}\r\n"
            f"{extra}"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
        )
        transport.write(head.encode("latin-1") + reply.body)
        if not keep_alive:
            transport.close()
            self.closed = True

    def _fail(self, status: int) -> None:
        self._send(Reply(status, b'{"Code":"BadRequest","Message":"malformed HTTP"}'), False)


async def start_server(options: SandboxOptions, host: str, port: int) -> tuple[asyncio.Server, SandboxApp]:
    app = SandboxApp(options)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(app), host, port, backlog=1024)
    return server, app


def bound_port(server: asyncio.Server) -> int:
    return int(server.sockets[0].getsockname()[1])


def serve(
    host: str,
    port: int,
    options: SandboxOptions | None = None,
    ready: Callable[[str, int], None] | None = None,
) -> None:
    """Run the sandbox until SIGINT/SIGTERM; ``port=0`` picks a free port.

    ``ready`` is called with the bound host and port once the socket listens
    (the default prints ``mpaas sandbox listening on http://HOST:PORT``, which
    test fixtures read to learn the port).
    """
    options = options or SandboxOptions()

    async def main() -> None:
        server, _ = await start_server(options, host, port)
        actual = bound_port(server)
        (ready or _announce)(host, actual)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        async with server:
            await stop.wait()

    asyncio.run(main())


def _announce(host: str, port: int) -> None:
    print(f"mpaas sandbox listening on http://{host}:{port}", flush=True)

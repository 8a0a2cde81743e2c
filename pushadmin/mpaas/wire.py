"""Form-body encoding exactly as the official SDKs put it on the wire, and its inverse."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import unquote_to_bytes, urlencode

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def encode_form(fields: Sequence[tuple[str, str]]) -> bytes:
    """``application/x-www-form-urlencoded`` in the given order, space as ``+``, UTF-8.

    ``urlencode`` is what both Python SDKs call, so the bytes (and therefore the
    V3 ``x-acs-content-sha256``) match theirs for the same field order.
    """
    return urlencode(list(fields), encoding="utf-8", errors="strict").encode("ascii")


def _unquote_plus(raw: bytes) -> str:
    # Decode bytes, not str: a percent-escape may be half of a UTF-8 sequence.
    return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", errors="strict")


def decode_form(body: bytes) -> dict[str, str]:
    """Inverse of :func:`encode_form`; keeps empty values.

    Raises ValueError on bad UTF-8 and on a repeated name, because the gateway
    would have to pick one value and a signature check over a guess proves nothing.
    """
    result: dict[str, str] = {}
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        raw_name, _, raw_value = chunk.partition(b"=")
        name = _unquote_plus(raw_name)
        if name in result:
            raise ValueError(f"form field {name!r} appears more than once")
        result[name] = _unquote_plus(raw_value)
    return result

"""`python manage.py serve_all`: run the web server, a worker, the scheduler and the sandbox.

One process group for the embedded default: Ctrl-C (or SIGTERM) stops every child
cleanly; if any child dies, the others are stopped too and the exit code says so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings

from pushadmin.console.database_ready import DatabaseCommand

STOP_GRACE_SECONDS = 15


class Command(DatabaseCommand):
    help = "Start web (gunicorn), Celery worker, Celery beat and the mPaaS sandbox together."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8765")))
        parser.add_argument("--no-sandbox", action="store_true", help="Do not start the local mPaaS sandbox.")

    def handle(self, *args: Any, host: str, port: int, sandbox_port: int, no_sandbox: bool, **options: Any) -> None:
        python = sys.executable
        var = str(settings.VAR_DIR)
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "pushadmin.wsgi",
                "--bind",
                f"{host}:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--access-logfile",
                "-",
            ],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "pushadmin",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--hostname",
                "worker@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "pushadmin",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                os.path.join(var, "celerybeat-schedule"),
                "--pidfile",
                os.path.join(var, "celerybeat.pid"),
            ],
        }
        if not no_sandbox:
            commands["sandbox"] = [
                python,
                "manage.py",
                "mpaas_sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(sandbox_port),
            ]
        children = {name: subprocess.Popen(argv) for name, argv in commands.items()}
        self.stdout.write(
            self.style.SUCCESS(f"pushadmin is running at http://{host}:{port}/  (Ctrl-C stops everything)")
        )
        if not no_sandbox:
            self.stdout.write(f"mPaaS sandbox at http://127.0.0.1:{sandbox_port}/")
        stopping = False

        def request_stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        failed = ""
        while not stopping:
            failed = next((name for name, child in children.items() if child.poll() is not None), "")
            if failed:
                break
            time.sleep(0.5)
        self._stop_all(children)
        if failed:
            self.stderr.write(f"{failed} exited with code {children[failed].returncode}; stopped the rest.")
            sys.exit(1)
        self.stdout.write("All pushadmin processes stopped.")

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

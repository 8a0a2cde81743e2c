"""Whether this process can do its work: the database, its migrations, the broker and the cache.

Each probe answers ok or the class of its failure (an exception's name, never its text, which
may hold a URL with a password). `/readyz` shows only ok / not ok; `doctor` shows the class too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from pushadmin.console.database_ready import unapplied_migrations

BROKER_TIMEOUT_SECONDS = 2
CACHE_PROBE_KEY = "pushadmin:readiness-probe"


@dataclass(frozen=True)
class Probe:
    ok: bool
    failure: str = ""  # the class of failure, for the operator


def _probe(check: Callable[[], str]) -> Probe:
    try:
        failure = check()
    except Exception as exc:
        return Probe(False, type(exc).__name__)
    return Probe(not failure, failure)


def _database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return ""


# Once a process has seen every migration applied it stays so (new migrations come with new
# code, in a new process), so reading the migration files is not repeated on every probe.
_migrated = False


def _migrations() -> str:
    global _migrated
    if _migrated:
        return ""
    missing = unapplied_migrations()
    _migrated = not missing
    return f"{len(missing)} migrations not applied" if missing else ""


def _broker() -> str:
    from pushadmin.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return ""


def _cache() -> str:
    cache.set(CACHE_PROBE_KEY, "1", 30)
    return "" if cache.get(CACHE_PROBE_KEY) == "1" else "value not kept"


PROBES: dict[str, Callable[[], str]] = {
    "database": _database,
    "migrations": _migrations,
    "broker": _broker,
    "cache": _cache,
}


def probe(name: str) -> Probe:
    return _probe(PROBES[name])


def probe_all() -> dict[str, Probe]:
    found: dict[str, Probe] = {}
    for name, check in PROBES.items():
        unreachable = name == "migrations" and not found["database"].ok
        found[name] = Probe(False, "database unreachable") if unreachable else _probe(check)
    return found

"""Management commands that read or write the database refuse, in one line, to run on one that is not ready.

A fresh clone has an empty database: without this check the first query fails with a traceback
about a missing `auth_user` table, which tells a newcomer nothing about what to do.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

MIGRATE_HINT = "run `python manage.py migrate` (or `make run`, which migrates) first"


def unapplied_migrations(database: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The migrations this code has that the database has not applied yet, as `app.name`."""
    executor = MigrationExecutor(connections[database])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def require_ready_database(database: str = DEFAULT_DB_ALIAS) -> None:
    """Raise a one-line CommandError when the database cannot be reached or is not migrated."""
    try:
        missing = unapplied_migrations(database)
    except DatabaseError as error:
        raise CommandError(
            f"Cannot reach the database ({type(error).__name__}); check DATABASE_URL and that the server runs."
        ) from None
    if not missing:
        return
    never = not MigrationRecorder(connections[database]).has_table()
    state = "has never been migrated" if never else f"is behind this code ({len(missing)} migrations to apply)"
    raise CommandError(f"The database {state}: {MIGRATE_HINT}.")


class DatabaseCommand(BaseCommand):
    """A command that needs the migrated database: checks it before `handle` runs."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        require_ready_database(options.get("database") or DEFAULT_DB_ALIAS)
        return super().execute(*args, **options)

"""What the benchmark scripts share: a migrated database with a bench user and workspace."""

from __future__ import annotations

from typing import Any


def bench_user_and_workspace() -> tuple[Any, Any]:
    """Migrate, then get or create the `bench-marketer` user and the `bench` workspace (never sends)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from pushadmin.workspaces.models import Workspace

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-marketer")
    workspace = Workspace.objects.filter(name="bench").first()
    if workspace is None:
        workspace = Workspace(
            name="bench", app_id="BENCH", mpaas_workspace_id="bench", endpoint_url="http://127.0.0.1:1"
        )
        workspace.access_key_id = "bench"
        workspace.set_secret("bench-secret")
        workspace.save()
    return user, workspace

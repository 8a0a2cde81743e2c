"""Cross-cutting limits: one call never carries more than 100 targets, a MsgKey lives once, bodies are bounded."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from pushadmin.delivery.models import Message
from pushadmin.mpaas.request_types import PushMultipleRequest, TargetMsg
from pushadmin.mpaas.validation import MAX_TARGETS_PER_CALL, validate_push_multiple
from tests.personas import Cast
from tests.security.world import build_world

pytestmark = pytest.mark.django_db


def a_call_with(targets: int) -> PushMultipleRequest:
    return PushMultipleRequest(
        app_id="ONEX570DA89211721",
        workspace_id="default",
        task_name="limits",
        template_name="demo-welcome",
        delivery_type=3,
        expired_seconds=3600,
        target_msgs=[TargetMsg(target=f"u{n}", msg_key=f"k{n}", template_key_value={"a": "x"}) for n in range(targets)],
    )


def test_a_call_with_more_than_100_targets_is_refused_before_it_is_sent() -> None:
    assert not [p for p in validate_push_multiple(a_call_with(MAX_TARGETS_PER_CALL)) if p.field == "TargetMsg"]
    problems = validate_push_multiple(a_call_with(MAX_TARGETS_PER_CALL + 1))
    assert any(p.field == "TargetMsg" and "101 targets" in p.message for p in problems), problems


def test_a_msg_key_can_be_stored_only_once(cast: Cast) -> None:
    world = build_world(cast.workspace, cast.marketer, "KEYS")
    existing = world.objects["message"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(campaign=existing.campaign, seq=2, target="u2", msg_key=existing.msg_key)
    assert Message.objects.filter(msg_key=existing.msg_key).count() == 1


def test_an_oversized_form_post_is_refused_and_saves_nothing(cast: Cast, settings: object) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000  # type: ignore[attr-defined]
    client = Client(raise_request_exception=False)
    client.force_login(cast.admin)
    before = cast.workspace.memberships.count()
    response = client.post(f"/w/{cast.workspace.pk}/members/", {"email": "x" * 20_000, "role": "reviewer"})
    assert response.status_code == 400
    assert cast.workspace.memberships.count() == before


def test_uploads_are_stored_outside_every_served_folder_under_random_names(settings: object) -> None:
    from pathlib import Path

    from pushadmin.audiences.importing import imports_dir, new_stored_name

    uploads = imports_dir().resolve()
    served = [Path(settings.STATIC_ROOT), *map(Path, settings.STATICFILES_DIRS)]  # type: ignore[attr-defined]
    assert not any(uploads.is_relative_to(folder.resolve()) for folder in served)
    from django.views.static import serve

    from tests.security.site_map import all_routes

    assert not [route for route in all_routes() if route.callback is serve], "a URL serves files from disk"
    names = {new_stored_name() for _ in range(50)}
    assert len(names) == 50 and all(len(name) >= 32 + len(".csv") for name in names)

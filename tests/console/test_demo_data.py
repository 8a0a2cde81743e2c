from __future__ import annotations

import pytest
from django.contrib.auth import authenticate

from pushadmin.accounts.models import Membership
from pushadmin.campaigns.models import Template
from pushadmin.console.demo import DEMO_ACCESS_KEY_SECRET, DEMO_TEMPLATE_CONTENT, load_demo
from pushadmin.workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def test_demo_data_loads_once_with_working_logins(settings: object, tmp_path: object) -> None:
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    first = load_demo()
    second = load_demo()
    assert first.created and not second.created
    assert second.passwords == first.passwords
    for username, password in first.passwords.items():
        user = authenticate(username=username, password=password)
        assert user is not None
        assert Membership.objects.filter(user=user, role=username).exists()
    workspace = Workspace.objects.get()
    assert workspace.reveal_secret_for_signing() == DEMO_ACCESS_KEY_SECRET
    assert Template.objects.get().content == DEMO_TEMPLATE_CONTENT

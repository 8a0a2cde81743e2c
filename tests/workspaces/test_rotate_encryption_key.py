"""Rotating the encryption key: add the new key first, rotate, then drop the old key."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.test import override_settings

from pushadmin.workspaces.models import Workspace
from tests.personas import TEST_SECRET, make_workspace

pytestmark = pytest.mark.django_db

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def test_secrets_survive_removing_the_old_key_after_rotation() -> None:
    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[OLD_KEY]):
        first, second = make_workspace("First"), make_workspace("Second")
        old_tokens = {first.access_key_secret_encrypted, second.access_key_secret_encrypted}

    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        # While both keys are configured the old tokens still work: no downtime.
        assert Workspace.objects.get(pk=first.pk).reveal_secret_for_signing() == TEST_SECRET
        out = StringIO()
        call_command("rotate_encryption_key", stdout=out)
    assert "Re-encrypted 2 workspace secret(s)" in out.getvalue()
    assert TEST_SECRET not in out.getvalue()

    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[NEW_KEY]):
        for workspace in Workspace.objects.all():
            assert workspace.access_key_secret_encrypted not in old_tokens
            assert workspace.reveal_secret_for_signing() == TEST_SECRET


def test_a_secret_no_configured_key_can_read_is_named_not_lost() -> None:
    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[OLD_KEY]):
        orphan = make_workspace("Orphan")
    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[NEW_KEY]), pytest.raises(CommandError, match="Orphan"):
        call_command("rotate_encryption_key", stdout=StringIO())
    assert Workspace.objects.get(pk=orphan.pk).access_key_secret_encrypted == orphan.access_key_secret_encrypted

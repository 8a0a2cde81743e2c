"""Authenticator keys are encrypted at rest with the AccessKey key ring and rotate with it."""

from __future__ import annotations

import importlib
from io import StringIO
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from pushadmin.accounts import two_factor
from pushadmin.accounts.models import TOTPAuthenticator
from tests.accounts.authenticator import code_for, key_on_page
from tests.personas import Cast, make_user

pytestmark = pytest.mark.django_db

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def everything_stored() -> str:
    """Every text column of every table, as one string to search."""
    seen = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            seen.extend(str(row) for row in cursor.fetchall())
    return "\n".join(seen)


def test_an_enrolled_key_is_stored_neither_in_hex_nor_in_base32(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.reviewer)
    key = key_on_page(client.get("/accounts/two-factor/").content.decode())
    assert client.post("/accounts/two-factor/", {"code": code_for(key)}).status_code < 400
    device = two_factor.confirmed_device(cast.reviewer)
    assert device is not None and two_factor.base32_key(device) == key
    hex_key = device.bin_key.hex()
    stored = everything_stored()
    assert hex_key not in stored and hex_key.upper() not in stored and key.rstrip("=") not in stored


def test_authenticator_keys_survive_removing_the_old_key_after_rotation() -> None:
    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[OLD_KEY]):
        device = two_factor.pending_device(make_user("rob.reviewer"))
        base32 = two_factor.base32_key(device)
    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        out = StringIO()
        call_command("rotate_encryption_key", stdout=out)
    assert "Re-encrypted 1 authenticator key(s)" in out.getvalue()
    with override_settings(PUSHADMIN_ENCRYPTION_KEYS=[NEW_KEY]):
        rotated = TOTPAuthenticator.objects.get(pk=device.pk)
        assert rotated.key_encrypted != device.key_encrypted
        assert rotated.verify_token(code_for(base32))


def test_the_migration_moves_plain_django_otp_keys_into_encrypted_authenticators(cast: Cast) -> None:
    hex_key = "3132333435363738393031323334353637383930"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE otp_totp_totpdevice (id integer primary key, user_id integer, name varchar(64), "
            "confirmed bool, key varchar(80), step integer, t0 integer, digits integer, tolerance integer, "
            "drift integer, last_t integer)"
        )
        cursor.execute(
            "INSERT INTO otp_totp_totpdevice VALUES (1, %s, 'phone', %s, %s, 30, 0, 6, 1, 0, -1)",
            [cast.admin.pk, True, hex_key],
        )
    migration = importlib.import_module("pushadmin.accounts.migrations.0006_encrypt_existing_totp_keys")
    migration.encrypt_existing_keys(apps, SimpleNamespace(connection=connection))
    device = TOTPAuthenticator.objects.get(user=cast.admin)
    assert device.confirmed and device.name == "phone" and device.bin_key.hex() == hex_key
    assert hex_key not in device.key_encrypted
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone() == (0,)
        cursor.execute("DROP TABLE otp_totp_totpdevice")

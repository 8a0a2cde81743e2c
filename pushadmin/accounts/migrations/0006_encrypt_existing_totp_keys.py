"""Move django-otp's TOTP devices, whose keys are stored in plain hex, into TOTPAuthenticator
with their keys encrypted, and empty the plain table.

The otp_totp app is no longer installed, so its table is read with SQL when it exists (an
installation that never had it has nothing to move).
"""

from django.db import migrations

COLUMNS = ("user_id", "name", "confirmed", "key", "step", "t0", "digits", "tolerance", "drift", "last_t")
PLAIN_TABLE = "otp_totp_totpdevice"


def encrypt_existing_keys(apps, schema_editor):
    from pushadmin.workspaces import encryption

    connection = schema_editor.connection
    if PLAIN_TABLE not in connection.introspection.table_names():
        return
    authenticator = apps.get_model("accounts", "TOTPAuthenticator")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(COLUMNS)} FROM {PLAIN_TABLE} ORDER BY id")  # noqa: S608
        rows = [dict(zip(COLUMNS, row)) for row in cursor.fetchall()]
        for row in rows:
            key = row.pop("key")
            authenticator.objects.create(key_encrypted=encryption.encrypt(key), **row)
        cursor.execute(f"DELETE FROM {PLAIN_TABLE}")  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_totp_authenticator"),
    ]

    operations = [
        migrations.RunPython(encrypt_existing_keys, migrations.RunPython.noop),
    ]

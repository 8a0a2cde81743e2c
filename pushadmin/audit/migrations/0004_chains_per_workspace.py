"""Each workspace's entries get a chain of their own; the entries written so far keep the single one.

The existing entries are marked as chained the single way (a new column's value, so the
append-only trigger is not involved) and verify as they were written. On PostgreSQL the
installation-wide numbers come from a sequence from now on, since writers of different
workspaces no longer wait for one another; it starts after the last number given.

Stop every process of the previous release before this migration: they would still number
and chain entries the old way.
"""

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SEQUENCE = "audit_entry_seq"


def create_sequence(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}", params=None)
        schema_editor.execute(
            f"SELECT setval('{SEQUENCE}', COALESCE(MAX(seq), 0) + 1, false) FROM audit_auditentry", params=None
        )


def drop_sequence(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_entry_numbers_in_workspace_and_chain_checks'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='chain',
            field=models.CharField(choices=[('single', "The installation's single chain (written before chains per workspace)"), ('workspace', "Its workspace's chain")], default='single', max_length=10),
            preserve_default=False,
        ),
        migrations.RunPython(create_sequence, drop_sequence),
    ]

"""Number each workspace's audit entries 1, 2, 3… in chain order; add the table of chain checks.

The numbers are written once for the existing entries, with the append-only trigger set aside
for that one statement on PostgreSQL.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

NUMBER_EXISTING_ENTRIES = """
UPDATE audit_auditentry SET workspace_seq = numbered.position
FROM (
    SELECT id, ROW_NUMBER() OVER (PARTITION BY workspace_id ORDER BY seq) AS position
    FROM audit_auditentry WHERE workspace_id IS NOT NULL
) AS numbered
WHERE audit_auditentry.id = numbered.id
"""
TRIGGER = "audit_entry_append_only"


def number_existing_entries(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(f"ALTER TABLE audit_auditentry DISABLE TRIGGER {TRIGGER}", params=None)
    schema_editor.execute(NUMBER_EXISTING_ENTRIES, params=None)
    if postgresql:
        schema_editor.execute(f"ALTER TABLE audit_auditentry ENABLE TRIGGER {TRIGGER}", params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_append_only_on_postgresql'),
        ('workspaces', '0002_require_two_factor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ChainCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'Waiting to start'), ('running', 'Checking'), ('done', 'Finished')], default='queued', max_length=10)),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('entries_checked', models.PositiveBigIntegerField(default=0)),
                ('broken_at', models.PositiveBigIntegerField(blank=True, help_text="The first broken entry's number (in the workspace, or the installation).", null=True)),
                ('reason', models.CharField(blank=True, max_length=300)),
            ],
            options={
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='auditentry',
            name='workspace_seq',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(number_existing_entries, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(fields=('workspace', 'workspace_seq'), name='audit_entry_number_in_workspace'),
        ),
        migrations.AddField(
            model_name='chaincheck',
            name='requested_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='chaincheck',
            name='workspace',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='workspaces.workspace'),
        ),
    ]

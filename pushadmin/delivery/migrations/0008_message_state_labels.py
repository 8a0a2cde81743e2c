from django.db import migrations, models


class Migration(migrations.Migration):
    """First-round rows stay draft until their outcome is recorded (see delivery/membership.py);
    pending now only means cut into a resend round."""

    dependencies = [
        ("delivery", "0007_message_fewer_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "Not sent yet"),
                    ("pending", "Waiting to be resent"),
                    ("in_flight", "Being sent"),
                    ("accepted", "Accepted by mPaaS"),
                    ("rejected", "Rejected by mPaaS"),
                    ("skipped", "Skipped (missing data)"),
                    ("cancelled", "Cancelled"),
                    ("unknown", "Outcome unknown"),
                ],
                default="draft",
                max_length=10,
            ),
        ),
    ]

"""The notice's sending columns moved to its outbox delivery (0004)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("alerts", "0004_notices_through_outbox")]

    operations = [
        migrations.RemoveIndex(model_name="alertnotice", name="alert_notice_status_claimed"),
        migrations.RemoveIndex(model_name="alertnotice", name="alert_notice_round_status"),
        migrations.RemoveField(model_name="alertnotice", name="status"),
        migrations.RemoveField(model_name="alertnotice", name="error"),
        migrations.RemoveField(model_name="alertnotice", name="sent_at"),
        migrations.RemoveField(model_name="alertnotice", name="attempts"),
        migrations.RemoveField(model_name="alertnotice", name="claim_token"),
        migrations.RemoveField(model_name="alertnotice", name="claimed_at"),
        migrations.RemoveField(model_name="alertnotice", name="external_id"),
        migrations.AlterField(
            model_name="alertnotice",
            name="delivery",
            field=models.OneToOneField(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="alert_notice",
                to="core.outbounddelivery",
            ),
        ),
    ]

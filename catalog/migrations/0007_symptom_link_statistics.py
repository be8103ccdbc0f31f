"""A finer sample of which symptom each part-symptom link names (PostgreSQL; nothing elsewhere).

With the default statistics target the planner keeps exact counts for the 100 commonest symptoms
only and takes every other symptom for the average of the rest: at 1,000,000 parts a demo shop
symptom listing 36 parts was planned as 2,232 and read in parallel workers, 30-50 ms instead of 1.
At 1,000 every symptom a catalogue lists many parts for is counted, so what is left is the few."""

from django.db import migrations

LINKS = "catalog_product_symptoms"


def statistics_target(target: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"ALTER TABLE {LINKS} ALTER COLUMN symptom_id SET STATISTICS {target}")
        schema_editor.execute(f"ANALYZE {LINKS}")

    return apply


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_product_rank_index"),
    ]

    operations = [
        migrations.RunPython(statistics_target(1000), statistics_target(-1)),
    ]

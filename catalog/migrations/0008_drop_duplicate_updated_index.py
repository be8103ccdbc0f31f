"""One index on catalog_product.updated_at, not two: 0002 made `catalog_product_updated_at_idx` by
hand before 0004 declared the same column's `catalog_product_updated_idx` on the model, so every
write to a part kept both up to date (about 0.6 s of a 1,000,000-part bulk load, and one index
update per changed part)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_symptom_link_statistics"),
    ]

    operations = [
        migrations.RunSQL(
            "DROP INDEX IF EXISTS catalog_product_updated_at_idx",
            reverse_sql="CREATE INDEX IF NOT EXISTS catalog_product_updated_at_idx ON catalog_product (updated_at)",
        ),
    ]

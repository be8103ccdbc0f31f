import io
import re
from collections import Counter
from statistics import median

import pytest
from django.core.management import CommandError, call_command
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import F

from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.search.lexical import LexicalIndex
from catalog.services import synthetic
from catalog.services.demo import demo_catalog_read
from catalog.services.imports import catalog_import
from catalog.services.synthetic import catalog_synthetic_generate
from catalog.services.synthetic_vocabulary import BRAND_GROUP, FINISHES, INSTALL, KINDS, POSITIONS, PROBLEMS

pytestmark = pytest.mark.django_db

# Each brand's real formats, written out independently of the generator's tables.
MPN_FORMAT = {
    "whirlpool": r"(W10|WPW10|WP|W11)\d{6}",
    "GE": r"W[RD]\d{2}X\d{5}",
    "Frigidaire": r"(2421|2426|2423|5304|1540|1541)\d{6}",
    "Samsung": r"D[AD]\d{2}-\d{5}[A-Z]",
    "LG": r"[A-Z]{3}\d{8}",
    "Bosch": r"(00|11|12)\d{6}",
}
MODEL_FORMAT = {
    "Whirlpool": r"W(R[SFTXB]\d{3}[A-Z]{4}|D(T|F|P)\d{3}[A-Z]{4}\d|DTA\d{2}[A-Z]{4}\d)",
    "KitchenAid": r"K(RFF|RMF|RFC|RSF|BSD)\d{3}[A-Z]{3}|KD(TE|FE|TM|PE)\d{3}[A-Z]{3}\d",
    "Maytag": r"M(FI\d{4}[A-Z]{3}|RT\d{3}[A-Z]{4}|SS\d{2}[A-Z]\d[A-Z]{3}|RFF\d{4}[A-Z]{2}|FT\d{4}[A-Z]{3})"
    r"|MDB\d{4}[A-Z]{3}\d?|MDFS\d{4}[A-Z]{2}",
    "Kenmore": r"106\.[57]\d{7}|665\.1\d{4}[A-Z]\d{3}",
    "GE": r"G(SS|FE|NE|TE|YE)\d{2}[A-Z]{5}|GD[TFP]\d{3}[A-Z]{5}",
    "Frigidaire": r"(FFTR|FFHS|FGHS|FRSS|LFHB|FFCD|FGID|FFID|FFBD|FPID)\d{4}[A-Z]{2}",
    "Samsung": r"R[FSH]\d{2}[A-Z]\d{4}[A-Z]{2}|RF\d{3}[A-Z]{6}|DW80[A-Z]\d{4}[A-Z]{2}",
    "LG": r"L(FXS|FCS|MXS)\d{5}[A-Z]|LR(MVS|FVS)\d{4}[A-Z]|LD[FTP]\d{4}[A-Z]{2}|LDFN\d{4}[A-Z]",
    "Bosch": r"B(36CD|21CL|36CT|24CB)\d{2}[A-Z]{3}|SH[EXP]M\d{2}[A-Z]\d{2}N|S[HG]E\d{2}[A-Z]\d{2}UC",
}


def _run(*args):
    out = io.StringIO()
    call_command("generate_catalog", *args, "--no-progress", stdout=out)
    return out.getvalue()


def _catalogue() -> dict:
    """Everything generated, by natural key: parts (all fields), models, compatibility, symptom links."""
    return {
        "parts": list(Product.objects.order_by("ps_number").values()),
        "models": list(ApplianceModel.objects.order_by("model_number").values_list("model_number", "brand", "name")),
        "compatibility": sorted(
            Compatibility.objects.values_list("product__ps_number", "appliance_model__model_number", "confidence")
        ),
        "links": sorted(Product.symptoms.through.objects.values_list("product__ps_number", "symptom__slug")),
    }


def _strip_ids(catalogue: dict) -> dict:
    parts = [{k: v for k, v in p.items() if k not in {"id", "created_at", "updated_at"}} for p in catalogue["parts"]]
    return {**catalogue, "parts": parts}


def test_the_vocabulary_is_consistent():
    for appliance, kinds in KINDS.items():
        assert len({k.name for k in kinds}) == len(kinds)
        for kind in kinds:
            assert set(kind.problems) <= set(PROBLEMS[appliance]), kind.name
            assert kind.positions in POSITIONS and kind.finish in FINISHES and kind.method in INSTALL
            assert kind.specs and kind.price > 0


def test_generate_catalog_creates_the_counts_asked():
    output = _run("--parts", "500", "--models", "40", "--seed", "7", "--chunk-size", "150")

    assert Product.objects.count() == 500
    assert ApplianceModel.objects.count() == 40
    assert not Product.objects.exclude(ps_number__regex=r"^PS9[0-9]{7}$").exists()
    assert Compatibility.objects.values("product_id").distinct().count() == 500
    for row in Compatibility.objects.select_related("product", "appliance_model"):
        assert BRAND_GROUP[row.product.brand] == BRAND_GROUP[row.appliance_model.brand]
        assert row.product.appliance_type == row.appliance_model.appliance_type
    # A part's symptoms are its own brand's and appliance's pages.
    for ps, slug, brand, appliance in Product.symptoms.through.objects.values_list(
        "product__ps_number", "symptom__slug", "product__brand", "product__appliance_type"
    ):
        assert slug.startswith(f"gen-{brand.lower()}-{appliance}-"), (ps, slug)
    assert Product.symptoms.through.objects.count() >= 500
    assert Symptom.objects.filter(slug__startswith="gen-").count() == Symptom.objects.count()
    assert "parts: 500 (500 created" in output


def test_names_and_descriptions_are_mostly_distinct_and_the_vocabulary_grows_with_size():
    _run("--parts", "5000", "--models", "300", "--seed", "1")

    names = list(Product.objects.order_by("id").values_list("name", flat=True))
    assert len(set(names)) >= 0.5 * len(names)
    assert Product.objects.values("description").distinct().count() == 5000
    rows = list(
        Product.objects.order_by("id").values_list("id", "name", "category", "brand", "appliance_type", "description")
    )
    small, large = len(LexicalIndex(rows[:500]).terms), len(LexicalIndex(rows).terms)
    assert small > 1000 and large > 4 * small


def test_compatibility_is_long_tailed():
    _run("--parts", "5000", "--models", "1000", "--seed", "2")

    degrees = sorted(Counter(Compatibility.objects.values_list("product_id", flat=True)).values())
    assert median(degrees) <= 4
    assert degrees[-1] >= 25 * median(degrees)
    assert sum(d >= 50 for d in degrees) >= 10  # a few parts fit many models …
    assert sum(d <= 5 for d in degrees) >= 0.6 * len(degrees)  # … most fit a handful
    # Some parts fit a sister brand's models (Maytag parts in Whirlpool fridges), as cross-references.
    cross = Compatibility.objects.exclude(product__brand=F("appliance_model__brand")).filter(source="cross_reference")
    assert cross.exists()


def test_identifiers_follow_each_brands_formats():
    _run("--parts", "2000", "--models", "400", "--seed", "5")

    for brand, mpn in Product.objects.values_list("brand", "manufacturer_part_number"):
        pattern = MPN_FORMAT["whirlpool" if BRAND_GROUP[brand] == "whirlpool" else brand]
        assert re.fullmatch(pattern, mpn), (brand, mpn)
    assert Product.objects.values("manufacturer_part_number").distinct().count() == 2000
    for brand, number in ApplianceModel.objects.values_list("brand", "model_number"):
        assert re.fullmatch(MODEL_FORMAT[brand], number), (brand, number)
    assert ApplianceModel.objects.values("brand").distinct().count() == 9


def test_generate_catalog_is_reproducible_whatever_the_chunk_size():
    _run("--parts", "300", "--models", "30", "--seed", "3", "--chunk-size", "100")
    first = _strip_ids(_catalogue())
    Product.objects.all().delete()
    ApplianceModel.objects.all().delete()

    _run("--parts", "300", "--models", "30", "--seed", "3", "--chunk-size", "250")
    assert _strip_ids(_catalogue()) == first

    Product.objects.all().delete()
    ApplianceModel.objects.all().delete()
    _run("--parts", "300", "--models", "30", "--seed", "4")
    assert _strip_ids(_catalogue())["parts"] != first["parts"]


def test_generate_catalog_is_idempotent():
    _run("--parts", "200", "--models", "20", "--seed", "3")
    snapshot = dict(Product.objects.values_list("ps_number", "price"))
    compat = Compatibility.objects.count()

    output = _run("--parts", "200", "--models", "20", "--seed", "3")

    assert "parts: 200 (0 created, 0 updated, 200 unchanged)" in output
    assert dict(Product.objects.values_list("ps_number", "price")) == snapshot
    assert Compatibility.objects.count() == compat


def test_a_larger_run_over_a_smaller_one_adds_the_difference_through_the_import():
    _run("--parts", "150", "--models", "20", "--seed", "3")

    output = _run("--parts", "200", "--models", "20", "--seed", "3")

    assert "parts: 200 (50 created, 0 updated, 150 unchanged)" in output
    incremental = _strip_ids(_catalogue())
    Product.objects.all().delete()
    ApplianceModel.objects.all().delete()
    Symptom.objects.all().delete()
    _run("--parts", "200", "--models", "20", "--seed", "3")
    # The bare write of a first run and the import's upsert store the same rows.
    assert _strip_ids(_catalogue()) == incremental


def test_the_demo_shop_is_untouched():
    demo = demo_catalog_read()
    catalog_import(**demo)
    before = _catalogue()

    _run("--parts", "3000", "--models", "600", "--seed", "1")

    demo_parts = {p["ps_number"] for p in demo["parts"]}
    demo_models = {m["model_number"] for m in demo["models"]}
    after = _catalogue()
    assert [p for p in after["parts"] if p["ps_number"] in demo_parts] == before["parts"]
    assert [m for m in after["models"] if m[0] in demo_models] == before["models"]
    assert [c for c in after["compatibility"] if c[0] in demo_parts] == before["compatibility"]
    assert [c for c in after["compatibility"] if c[1] in demo_models] == before["compatibility"]
    assert [link for link in after["links"] if link[0] in demo_parts] == before["links"]
    demo_mpns = {p["manufacturer_part_number"] for p in demo["parts"]}
    generated = Product.objects.exclude(ps_number__in=demo_parts)
    assert generated.count() == 3000
    assert not generated.filter(manufacturer_part_number__in=demo_mpns).exists()
    words = {w.strip(".,()") for text in generated.values_list("description", flat=True) for w in text.split()}
    assert not words & demo_mpns  # nor do the numbers a generated part replaces


def test_generate_catalog_refuses_too_few_models():
    with pytest.raises(CommandError):
        _run("--parts", "10", "--models", "3")


# A first large run on PostgreSQL, in a transaction of its own (so these tests commit), writes with
# the tables' secondary indexes and constraints set aside and makes them again at the end
# (catalog/services/bulk_load.py); `bulk_from=1` makes a small run one.
BULK_TABLES = ["catalog_product", "catalog_product_symptoms", "catalog_compatibility"]


def _schema() -> dict:
    """Every index and constraint of the database's own schema by name, as the catalogue defines
    it, and the identities (OIDs) of those a bulk load sets aside (all but primary keys and CHECK
    constraints) on the tables it fills."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(c.oid), c.oid, i.indrelid::regclass::text, i.indisprimary "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), condeferrable, condeferred, "
            "convalidated, oid, contype FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
        )
        constraints = cursor.fetchall()
    return {
        "definitions": {("index", name, sql) for name, sql, *_ in indexes}
        | {("constraint", *row[:6]) for row in constraints},
        "identities": {oid for _, _, oid, table, primary in indexes if table in BULK_TABLES and not primary}
        | {row[6] for row in constraints if row[1] in BULK_TABLES and row[7] in ("u", "f")},
    }


def _generate(parts: int, **options):
    return catalog_synthetic_generate(parts=parts, models=40, seed=3, chunk_size=150, **options)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_leaves_the_schema_as_the_migrations_made_it_and_the_same_rows():
    _generate(400)
    reference = _strip_ids(_catalogue())
    Product.objects.all().delete()
    ApplianceModel.objects.all().delete()
    Symptom.objects.all().delete()
    migrated = _schema()

    _generate(400, bulk_from=1)

    after = _schema()
    assert after["definitions"] == migrated["definitions"]
    assert not after["identities"] & migrated["identities"]  # every one of them made again
    assert _strip_ids(_catalogue()) == reference
    # The constraints made again hold: a second copy of a fit is refused, so is a fit to no part.
    fit = Compatibility.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Compatibility.objects.create(product_id=fit.product_id, appliance_model_id=fit.appliance_model_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        Compatibility.objects.create(product_id=10**9, appliance_model_id=fit.appliance_model_id)


@pytest.mark.postgres
def test_a_run_inside_a_callers_transaction_keeps_the_indexes():
    before = _schema()

    _generate(300, bulk_from=1)  # pytest-django's transaction encloses it

    assert _schema() == before
    assert Product.objects.count() == 300


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_load_into_a_catalogue_larger_than_it_keeps_the_indexes():
    Product.objects.bulk_create(
        Product(ps_number=f"PS1{i:07d}", name="Held part", brand="GE", appliance_type="dishwasher", price=1)
        for i in range(400)
    )
    before = _schema()

    _generate(300, bulk_from=1)

    assert _schema() == before
    assert Product.objects.filter(ps_number__startswith="PS9").count() == 300


def _fail_at(monkeypatch, what: str):
    if what == "copy":  # a name longer than its column: COPY itself refuses the row
        name = synthetic._name
        monkeypatch.setattr(synthetic, "_name", lambda rnd, kind, appliance: name(rnd, kind, appliance) * 20)
    else:  # two parts with one PS number: found only when the unique constraint is made again
        number = synthetic._ps_number
        monkeypatch.setattr(synthetic, "_ps_number", lambda i: number(4 if i == 250 else i))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("what", ["copy", "constraint"])
def test_a_bulk_load_that_fails_writes_nothing_and_keeps_the_schema(monkeypatch, what):
    migrated = _schema()
    _fail_at(monkeypatch, what)

    with pytest.raises((DataError, IntegrityError)):
        _generate(400, bulk_from=1)

    assert _schema() == migrated
    assert not Product.objects.exists()
    assert not Compatibility.objects.exists()
    assert not Product.symptoms.through.objects.exists()

"""Hostile catalogue files: every one is either imported, reported row by row, or refused as a
whole with a CatalogImportError code; none raises anything else, and a refused file writes nothing."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from catalog.exceptions import CatalogImportError
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.search import embeddings
from catalog.services.import_files import PART_COLUMNS, catalog_file_import
from core.testing.fuzz import bounded

pytestmark = pytest.mark.django_db

BASE = {"part_number": "PS9000001", "name": "Bin", "brand": "Acme", "appliance_type": "refrigerator", "price": "1.00"}


@pytest.fixture(autouse=True)
def _no_vectors(settings):
    settings.PARLEY_EMBEDDINGS = "off"
    embeddings.embedder_reset()
    yield
    embeddings.embedder_reset()


def _counts():
    return tuple(m.objects.count() for m in (Product, ApplianceModel, Compatibility, Symptom))


def _outcome(data: bytes, file_format: str):
    before = _counts()
    try:
        result = catalog_file_import(data=data, file_format=file_format)
    except CatalogImportError as exc:
        assert exc.code and exc.detail
        assert _counts() == before
        return exc.code
    return result


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)


@bounded(60)
@given(column=st.sampled_from(sorted(PART_COLUMNS)), value=json_values)
def test_any_json_value_in_any_column_is_imported_or_reported(column, value):
    _outcome(json.dumps([{**BASE, column: value}]).encode(), "json")


@pytest.mark.parametrize("text", ["a\\u0000b", "a\\ud800b", "\\udfff"])
@pytest.mark.parametrize(
    "column", ["name", "description", "install_steps", "install_tools", "symptoms", "compatible_models", "category"]
)
def test_escaped_nul_or_lone_surrogate_in_json_is_reported(column, text):
    raw = json.dumps([{**BASE, column: "PLACEHOLDER"}]).replace("PLACEHOLDER", text)
    if column in ("install_steps", "install_tools", "symptoms", "compatible_models"):
        raw = raw.replace(f'"{text}"', f'["{text}"]')
    # Before: PostgreSQL refused the write (DataError / UnicodeEncodeError), a 500 in the admin.
    assert _outcome(raw.encode(), "json") == "import_unreadable_file"


@pytest.mark.parametrize(
    "section,row",
    [
        ("models", {"model_number": "M\\u0000", "brand": "Acme", "appliance_type": "refrigerator"}),
        ("symptoms", {"slug": "s", "name": "n", "appliance_type": "refrigerator", "keywords": ["k\\ud800"]}),
        ("compatibility", {"part_number": "PS1\\ud800", "model_number": "M1"}),
    ],
)
def test_escaped_bad_text_in_other_sections(section, row):
    raw = json.dumps({section: [row]}).replace("\\\\u", "\\u")
    _outcome(raw.encode(), "json")


XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss><channel><item><g:id xmlns:g="http://base.google.com/ns/1.0">&lol2;</g:id></item></channel></rss>"""
XML_EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&e;</title></item></channel></rss>"""


@pytest.mark.parametrize(
    "data,file_format",
    [
        (XML_BOMB, "gmc"),
        (XML_EXTERNAL, "gmc"),
        (b"<rss><channel><item>" * 2000, "gmc"),
        (b"<" + b"a>" * 5000, "gmc"),
        ("id\ttitle\tprice\tbrand\nX\tY\t1 USD\tZ\n".encode("utf-16"), "gmc"),
        (b"\xff\xfe\x00\x00", "csv"),
        (b"part_number,name\n" + b'"unterminated' * 3, "csv"),
        (b"part_number,name,brand,appliance_type,price\n" + b"a," * 100000 + b"\n", "csv"),
        (("part_number,name,brand,appliance_type,price\nPS1," + "x" * 200_000 + ",b,refrigerator,1\n").encode(), "csv"),
        (b"[" * 100000, "json"),
        (b'{"parts": {"a": 1}}', "json"),
        (b'{"parts": [], "models": "x"}', "json"),
        (b"NaN", "json"),
        (
            b'[{"part_number": "PS1", "name": "n", "brand": "b", "appliance_type": "refrigerator", "price": NaN}]',
            "json",
        ),
        (
            b'[{"part_number": "PS1", "name": "n", "brand": "b", "appliance_type": "refrigerator", "price": 1e999}]',
            "json",
        ),
        (
            b'[{"part_number": "PS1", "name": "n", "brand": "b", "appliance_type": "refrigerator", "price": "1",'
            b' "stock": 1e999}]',
            "json",
        ),
        (
            b'[{"part_number": "PS1", "name": "n", "brand": "b", "appliance_type": "refrigerator", "price": "1",'
            b' "review_count": 99999999999999999999999}]',
            "json",
        ),
        (b'{"compatibility": [{"part_number": "PS1", "model_number": "M", "confidence": "nan"}]}', "json"),
        (b'{"compatibility": [{"part_number": "PS1", "model_number": "M", "confidence": [1]}]}', "json"),
        (b'{"models": [{"model_number": ["M"], "brand": "b", "appliance_type": "refrigerator"}]}', "json"),
        (b'{"symptoms": [{"slug": "s", "name": "n", "appliance_type": "refrigerator", "keywords": "k"}]}', "json"),
        (b"id\ttitle\tprice\tbrand\nX\tY\tUSD 1 EUR\tZ\n", "gmc"),
        (b"id\ttitle\tprice\tbrand\tquantity\tproduct_type\nX\tY\t1\tZ\t1e9\tRefrigerator\n", "gmc"),
        (b"id\ttitle\tprice\tbrand\tproduct_type\nX\tY\t" + b"9" * 5000 + b"\tZ\tRefrigerator\n", "gmc"),
    ],
)
def test_hostile_files_are_reported_or_refused(data, file_format):
    _outcome(data, file_format)


# --- manage.py import_stock and import_catalog with hostile files ------------------------------


def _stock(tmp_path, data: bytes):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    feed = tmp_path / "stock.csv"
    feed.write_bytes(data)
    out, err = StringIO(), StringIO()
    try:
        call_command("import_stock", str(feed), "--no-progress", stdout=out, stderr=err)
    except CommandError as exc:
        return "refused", str(exc)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def part():
    from catalog.tests.factories import ProductFactory

    return ProductFactory(ps_number="PS9100001", stock_quantity=1)


@pytest.mark.parametrize(
    "body,problem",
    [
        (b"ps_number,quantity\nPS91\x0000001,3\n", "unknown part"),
        (b"ps_number,quantity\nPS9100001,99999999999999999999\n", "quantity"),
        (b"ps_number,quantity\nPS9100001,\xd9\xa1\xd9\xa2\n", "quantity"),  # Arabic-Indic digits
        (b"ps_number,quantity\nPS9100001,1_0\n", "quantity"),
    ],
)
def test_import_stock_reports_hostile_rows_and_keeps_going(tmp_path, part, body, problem):
    out, err = _stock(tmp_path, body + b"PS9100001,5\n")
    assert out != "refused", err
    assert problem in err
    part.refresh_from_db()
    assert part.stock_quantity == 5


@pytest.mark.parametrize(
    "body",
    [
        "ps_number,quantity\nPS9100001,3\n".encode("utf-16"),
        b"ps_number,quantity\nPS9100001,\xff\n",
        b'ps_number,quantity\nPS9100001,"' + b"9" * 200_000 + b'"\n',
    ],
)
def test_import_stock_refuses_an_unreadable_file_and_changes_nothing(tmp_path, part, body):
    out, err = _stock(tmp_path, body)
    assert out == "refused" and err
    part.refresh_from_db()
    assert part.stock_quantity == 1


def test_import_catalog_refuses_escaped_nul_with_its_code(tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    feed = tmp_path / "catalogue.json"
    feed.write_text(json.dumps([{**BASE, "name": "PLACEHOLDER"}]).replace("PLACEHOLDER", "a\\u0000b"))
    with pytest.raises(CommandError) as exc:
        call_command("import_catalog", str(feed), "--no-progress")
    assert "import_unreadable_file" in str(exc.value) and not Product.objects.exists()


# --- the admin's import page with any upload ----------------------------------------------------

uploads = st.tuples(
    st.sampled_from(["c.csv", "c.json", "c.tsv", "c.xml", "c.txt", "c.bin", "<b>x</b>.csv", ""]),
    st.sampled_from(["", "csv", "json", "gmc", "xlsx"]),
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from([XML_BOMB, XML_EXTERNAL, b'[{"part_number": "PS1\\u0000"}]', b"part_number\n\xff"]),
    ),
    st.booleans(),
)


def test_any_upload_to_the_import_page_is_answered_200_or_400(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    seen = {}

    @bounded(40)
    @given(upload=uploads)
    def run(upload):
        name, file_format, data, import_now = upload
        form = {"file": SimpleUploadedFile(name or "x", data), "file_format": file_format}
        if import_now:
            form["import"] = "1"
        response = admin_client.post("/admin/catalog/product/import/", form)
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code in (200, 400), (name, file_format, data[:60], response.status_code)
        assert b"<b>x</b>" not in response.content

    run()
    assert 400 in seen

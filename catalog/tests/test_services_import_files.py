"""A shop's own catalogue file: CSV, JSON and Merchant Center feeds, row by row, idempotent."""

import json
from decimal import Decimal

import pytest

from catalog.exceptions import CatalogImportError
from catalog.models import ApplianceModel, Compatibility, Product, Symptom
from catalog.search import embeddings, semantic
from catalog.search.models import ProductEmbedding
from catalog.services.import_files import catalog_file_import
from catalog.signals import stock_changed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vectors_off")]

CSV = (
    "part_number,manufacturer_number,name,description,brand,appliance_type,price,stock,image_url,"
    "install_steps,symptoms,compatible_models\n"
    "PS7000001,W10321304,Door Shelf Bin,Holds bottles in the door.,Whirlpool,refrigerator,21.99,5,"
    "https://img.example.com/bin.png,Open the door|Lift the bin out,Door bin cracked,WRS325SDHZ|WRF555SDFZ\n"
    "PS7000002,W10190929,Ice Maker Assembly,Makes ice.,Whirlpool,refrigerator,abc,3,,,,\n"
    "PS7000003,W10872845,Drain Pump,Pumps water out.,Bosch,dishwasher,55.00,0,javascript:alert(1),,,SHE3AR75UC\n"
    'PS7000004,00611332,"Wash Arm, Lower",Sprays water.,Bosch,dishwasher,18.50,-2,,,,\n'
    "PS7000001,W10321304,Door Shelf Bin again,,Whirlpool,refrigerator,1.00,5,,,,\n"
    "PS7000005,00165259,Spray Arm Bearing,,Bosch,dishwasher,7.25,12,,,,\n"
)


def _import(text: str, file_format: str = "csv", **kwargs):
    return catalog_file_import(data=text.encode(), file_format=file_format, **kwargs)


@pytest.fixture
def received():
    events = []

    def listener(sender, product_id, old_quantity, new_quantity, **kwargs):
        events.append((product_id, old_quantity, new_quantity))

    stock_changed.connect(listener)
    yield events
    stock_changed.disconnect(listener)


def test_csv_imports_the_good_rows_and_reports_each_rejected_one():
    result = _import(CSV)

    assert [(e.row, e.field, e.code) for e in result.rejected] == [
        (3, "price", "import_invalid_value"),
        (4, "image_url", "invalid_image_url"),
        (5, "stock", "import_out_of_range"),
        (6, "part_number", "import_duplicate_row"),
    ]
    assert "already on row 2" in result.rejected[3].message
    assert result.rejected[2].message == "stock must be between 0 and 2147483647."  # the file's column name
    assert sorted(Product.objects.values_list("ps_number", flat=True)) == ["PS7000001", "PS7000005"]
    bin_ = Product.objects.get(ps_number="PS7000001")
    assert (bin_.name, bin_.price, bin_.stock_quantity, bin_.manufacturer_part_number) == (
        "Door Shelf Bin",
        Decimal("21.99"),
        5,
        "W10321304",
    )
    assert bin_.install_steps == ["Open the door", "Lift the bin out"]
    # A symptom given by name becomes a symptom of the part's appliance; unknown models become models.
    assert list(bin_.symptoms.values_list("slug", "name")) == [("refrigerator-door-bin-cracked", "Door bin cracked")]
    assert sorted(bin_.compatibilities.values_list("appliance_model__model_number", flat=True)) == [
        "WRF555SDFZ",
        "WRS325SDHZ",
    ]
    assert ApplianceModel.objects.get(model_number="WRS325SDHZ").brand == "Whirlpool"
    # The rejected pump's model is not made up.
    assert not ApplianceModel.objects.filter(model_number="SHE3AR75UC").exists()


def test_the_same_file_twice_changes_nothing_and_a_changed_row_updates():
    _import(CSV)
    stamp = Product.objects.get(ps_number="PS7000001").updated_at

    again = _import(CSV)

    assert not again.changed and again.changed_parts == []
    assert (again.parts.unchanged, again.compatibility.unchanged, again.models.created) == (2, 2, 0)
    assert Product.objects.get(ps_number="PS7000001").updated_at == stamp

    changed = _import(
        CSV.replace("Spray Arm Bearing,,Bosch,dishwasher,7.25", "Spray Arm Bearing,,Bosch,dishwasher,8.00")
    )

    assert (changed.parts.updated, changed.parts.unchanged, changed.changed_parts) == (1, 1, ["PS7000005"])
    assert Product.objects.get(ps_number="PS7000005").price == Decimal("8.00")


def test_a_column_the_file_leaves_out_keeps_what_the_part_has(shop):
    rack = shop["rack"]
    result = _import(
        "part_number,name,brand,appliance_type,price\nPS11750057,Upper Rack Adjuster,Whirlpool,dishwasher,26.00\n"
    )

    rack.refresh_from_db()
    assert result.parts.updated == 1
    assert (rack.name, rack.price, rack.stock_quantity) == ("Upper Rack Adjuster", Decimal("26.00"), 12)
    assert rack.install_steps and rack.install_difficulty == "easy"


def test_json_sections_with_models_compatibility_and_symptoms():
    data = {
        "symptoms": [
            {"slug": "noisy", "name": "Noisy", "appliance_type": "dishwasher", "keywords": ["noisy"]},
            {"slug": "<b>loud</b>", "name": "Loud", "appliance_type": "dishwasher"},
        ],
        "models": [{"model_number": "wdt780saem1", "brand": "Whirlpool", "appliance_type": "dishwasher"}],
        "parts": [
            {
                "part_number": "PS7100001",
                "name": "Rack Adjuster",
                "brand": "Whirlpool",
                "appliance_type": "dishwasher",
                "price": 24.99,
                "stock": 3,
                "install_steps": ["Pull the rack out.", "Swap the adjuster."],
                "symptoms": ["noisy"],
            },
            {
                "part_number": "PS7100002",
                "name": "Wheel",
                "brand": "Whirlpool",
                "appliance_type": "dishwasher",
                "price": "9.50",
                "colour": "grey",
            },
            "not an object",
        ],
        "compatibility": [
            {"part_number": "PS7100001", "model_number": "WDT780SAEM1", "confidence": 0.9},
            {"part_number": "PS7199999", "model_number": "WDT780SAEM1"},
            {"part_number": "PS7100001", "model_number": "WDT780SAEM1", "confidence": 2},
        ],
    }

    result = _import(json.dumps(data), "json")

    assert [(e.section, e.row, e.field, e.code) for e in result.rejected] == [
        ("parts", 2, "colour", "import_unknown_columns"),
        ("compatibility", 2, "part_number", "import_unknown_reference"),
        ("symptoms", 2, "slug", "import_invalid_value"),
        ("parts", 3, "", "import_invalid_value"),
        ("compatibility", 3, "confidence", "import_out_of_range"),
    ]
    part = Product.objects.get(ps_number="PS7100001")
    assert list(part.symptoms.values_list("slug", flat=True)) == ["noisy"]
    assert Compatibility.objects.get(product=part).confidence == 0.9
    assert _import(json.dumps(data), "json").changed is False


def test_a_json_list_of_parts_in_the_catalogues_own_field_names():
    rows = [
        {
            "ps_number": "PS7200001",
            "name": "Gasket",
            "brand": "GE",
            "appliance_type": "dishwasher",
            "price": "31.20",
            "stock_quantity": 4,
            "is_active": True,
        }
    ]

    result = _import(json.dumps(rows), "json")

    assert result.parts.created == 1 and result.rejected == []
    assert Product.objects.get(ps_number="PS7200001").stock_quantity == 4


GMC_TSV = (
    "id\ttitle\tdescription\tlink\timage_link\tprice\tavailability\tbrand\tmpn\tgtin\tproduct_type\n"
    "PS7300001\tRefrigerator Water Filter\tFilters water.\thttps://shop.example.com/f\thttps://img.example.com/f.png"
    "\t49.99 USD\tin_stock\tWhirlpool\tEDR1RXD1\t0883049118765\tAppliances > Refrigerator Parts > Water Filters\n"
    "PS7300002\tDishwasher Door Latch\tCloses the door.\t\t\t12.34 USD\tout_of_stock\tGE\tWD13X10003\t\t"
    "Appliances > Dishwasher Parts > Latches\n"
    "PS7300003\tDrain Hose\t\t\t\t12,34 dollars\tin_stock\tGE\t\t\tAppliances > Dishwasher Parts > Hoses\n"
    "PS7300004\tGarden Hose\t\t\t\t5.00 USD\tin_stock\tAcme\t\t\tGarden > Hoses\n"
    "PS7300005\tDoor Bin\t\t\t\t9.00 USD\tbackorder\tLG\t\t\tAppliances > Refrigerator Parts > Bins\n"
)


def test_merchant_center_tsv_feed():
    result = _import(GMC_TSV, "gmc")

    assert [(e.row, e.field, e.code) for e in result.rejected] == [
        (4, "price", "import_invalid_value"),
        (5, "product_type", "import_required"),
    ]
    water = Product.objects.get(ps_number="PS7300001")
    assert (water.name, water.price, water.currency, water.appliance_type, water.category) == (
        "Refrigerator Water Filter",
        Decimal("49.99"),
        "USD",
        "refrigerator",
        "Water Filters",
    )
    assert (water.manufacturer_part_number, water.image_url, water.stock_quantity) == (
        "EDR1RXD1",
        "https://img.example.com/f.png",
        1,  # in stock, amount not said
    )
    latch = Product.objects.get(ps_number="PS7300002")
    assert (latch.stock_quantity, latch.backordered, latch.appliance_type) == (0, False, "dishwasher")
    bin_ = Product.objects.get(ps_number="PS7300005")
    assert (bin_.stock_quantity, bin_.backordered) == (0, True)

    # A feed says whether, not how many: an in-stock part keeps the quantity the shop has.
    Product.objects.filter(pk=water.pk).update(stock_quantity=30)
    assert _import(GMC_TSV, "gmc").parts.updated == 0
    assert Product.objects.get(pk=water.pk).stock_quantity == 30


GMC_XML = """<?xml version="1.0"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">
 <channel>
  <title>Parts</title>
  <item>
   <g:id>PS7400001</g:id>
   <title>Dishwasher Spray Arm &amp; Seal</title>
   <description>&lt;b&gt;Sprays&lt;/b&gt; water.</description>
   <link>https://shop.example.com/arm</link>
   <g:price>18.50 USD</g:price>
   <g:availability>in stock</g:availability>
   <g:brand>Bosch</g:brand>
   <g:mpn>00611332</g:mpn>
   <g:product_type>Dishwasher Parts &gt; Spray Arms</g:product_type>
  </item>
  <item>
   <g:id>PS7400002</g:id>
   <g:title>Fridge Crisper Drawer</g:title>
   <g:price>EUR 40.00</g:price>
   <g:availability>sold out</g:availability>
   <g:brand>Bosch</g:brand>
  </item>
 </channel>
</rss>
"""


def test_merchant_center_xml_feed():
    result = _import(GMC_XML, "gmc")

    assert [(e.row, e.field, e.code) for e in result.rejected] == [(2, "availability", "import_invalid_choice")]
    arm = Product.objects.get(ps_number="PS7400001")
    assert (arm.name, arm.description, arm.appliance_type, arm.category, arm.price) == (
        "Dishwasher Spray Arm & Seal",
        "<b>Sprays</b> water.",
        "dishwasher",
        "Spray Arms",
        Decimal("18.50"),
    )


@pytest.mark.parametrize(
    ("data", "file_format", "code"),
    [
        (b"", "csv", "import_empty_file"),
        (b"part_number,name,brand,appliance_type\nPS1,A,B,dishwasher\n", "csv", "import_missing_columns"),
        (
            b"part_number,name,brand,appliance_type,price,stok\nPS1,A,B,dishwasher,1,2\n",
            "csv",
            "import_unknown_columns",
        ),
        (b"part_number,name,brand,appliance_type,price\n", "csv", "import_empty_file"),
        (
            b"part_number,name,brand,appliance_type,price\nPS1,\xff\xfe,B,dishwasher,1\n",
            "csv",
            "import_unreadable_file",
        ),
        (b'part_number,name,brand,appliance_type,price\nPS1,"A"x,B,dishwasher,1\n', "csv", "import_unreadable_file"),
        (b'{"parts": [', "json", "import_unreadable_file"),
        (b'{"parts": [], "prices": []}', "json", "import_unknown_columns"),
        (b"id\ttitle\tprice\nPS1\tA\t1 USD\n", "gmc", "import_missing_columns"),
        (b"<rss><channel><item>", "gmc", "import_unreadable_file"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<rss><channel><item><g:id>&b;</g:id></item></channel></rss>",
            "gmc",
            "import_unreadable_file",
        ),
        (b"x", "xlsx", "import_unknown_format"),
    ],
)
def test_a_whole_file_problem_is_one_clear_error_and_nothing_is_written(data, file_format, code, shop):
    before = list(Product.objects.order_by("pk").values_list("ps_number", "name", "price", "updated_at"))

    with pytest.raises(CatalogImportError) as error:
        catalog_file_import(data=data, file_format=file_format)

    assert error.value.code == code and error.value.detail
    assert list(Product.objects.order_by("pk").values_list("ps_number", "name", "price", "updated_at")) == before


def test_a_dry_run_counts_everything_and_writes_and_announces_nothing(
    shop, received, django_capture_on_commit_callbacks
):
    rack = shop["rack"]
    models, symptoms = ApplianceModel.objects.count(), Symptom.objects.count()
    text = CSV + "PS11750057,WPW10350376,Dishwasher Upper Rack Adjuster,,Whirlpool,dishwasher,24.99,0,,,,\n"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = _import(text, dry_run=True)

    assert result.dry_run and (result.parts.created, result.parts.updated) == (2, 1)
    assert len(result.rejected) == 4
    assert callbacks == [] and received == []
    assert not Product.objects.filter(ps_number__startswith="PS70").exists()
    assert (ApplianceModel.objects.count(), Symptom.objects.count()) == (models, symptoms)
    rack.refresh_from_db()
    assert rack.stock_quantity == 12


def test_stock_changed_through_an_import_is_announced_like_an_admin_edit(
    shop, received, django_capture_on_commit_callbacks
):
    rack, gasket = shop["rack"], shop["backordered"]
    header = "part_number,name,brand,appliance_type,price,stock\n"
    rows = (
        f"{rack.ps_number},{rack.name},Whirlpool,dishwasher,{rack.price},0\n"
        f"{gasket.ps_number},{gasket.name},Whirlpool,dishwasher,{gasket.price},6\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        _import(header + rows)

    assert sorted(received) == sorted([(rack.pk, 12, 0), (gasket.pk, 0, 6)])
    with django_capture_on_commit_callbacks(execute=True):
        _import(header + rows)
    assert len(received) == 2  # unchanged stock: nothing more


def test_vectors_are_refreshed_for_changed_parts_only(settings, django_capture_on_commit_callbacks):
    settings.PARLEY_EMBEDDINGS = "static"
    embeddings.embedder_reset()
    with django_capture_on_commit_callbacks(execute=True):
        _import(CSV)
    stored = dict(ProductEmbedding.objects.values_list("product__ps_number", "updated_at"))
    assert set(stored) == {"PS7000001", "PS7000005"}
    version = semantic.cache.get(embeddings.embedder_name_configured())
    before_key = semantic.cache.key

    # The price of one part and the name of the other change: only the renamed one is embedded again.
    edited = CSV.replace("Door Shelf Bin,Holds", "Door Bin Shelf,Holds").replace("7.25,12", "7.75,12")
    with django_capture_on_commit_callbacks(execute=True):
        result = _import(edited)

    assert sorted(result.changed_parts) == ["PS7000001", "PS7000005"]
    after = dict(ProductEmbedding.objects.values_list("product__ps_number", "updated_at"))
    assert after["PS7000005"] == stored["PS7000005"]
    assert after["PS7000001"] > stored["PS7000001"]
    # The version every web process compares moved: the next search loads the new vector.
    semantic.cache.get(embeddings.embedder_name_configured())
    assert semantic.cache.key != before_key and version is not None
    text = embeddings.product_text(Product.objects.get(ps_number="PS7000001"))
    assert ProductEmbedding.objects.get(product__ps_number="PS7000001").text_hash == embeddings.text_hash(text)

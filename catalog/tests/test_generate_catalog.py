import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command

from catalog.models import ApplianceModel, Compatibility, Product, Symptom

pytestmark = pytest.mark.django_db


def _run(*args):
    out = io.StringIO()
    call_command("generate_catalog", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_generate_catalog_creates_the_counts_asked():
    output = _run("--parts", "500", "--models", "40", "--seed", "7", "--chunk-size", "150")

    assert Product.objects.count() == 500
    assert ApplianceModel.objects.count() == 40
    assert not Product.objects.exclude(ps_number__regex=r"^PS9[0-9]{7}$").exists()
    per_part = Counter(Compatibility.objects.values_list("product_id", flat=True))
    assert len(per_part) == 500 and min(per_part.values()) >= 2 and max(per_part.values()) <= 8
    for row in Compatibility.objects.select_related("product", "appliance_model")[:200]:
        assert row.product.brand == row.appliance_model.brand
        assert row.product.appliance_type == row.appliance_model.appliance_type
    assert Symptom.objects.filter(slug__startswith="gen-").exists()
    assert Product.symptoms.through.objects.count() >= 500
    assert "parts: 500 (500 created" in output


def test_generate_catalog_is_deterministic_and_idempotent():
    _run("--parts", "200", "--models", "20", "--seed", "3")
    snapshot = dict(Product.objects.values_list("ps_number", "price"))
    compat = Compatibility.objects.count()

    output = _run("--parts", "200", "--models", "20", "--seed", "3")

    assert "parts: 200 (0 created, 0 updated, 200 unchanged)" in output
    assert dict(Product.objects.values_list("ps_number", "price")) == snapshot
    assert Compatibility.objects.count() == compat


def test_generate_catalog_refuses_too_few_models():
    with pytest.raises(CommandError):
        _run("--parts", "10", "--models", "3")

"""`manage.py import_catalog` and the admin's import page."""

import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.models import Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vectors_off")]

GOOD = "part_number,name,brand,appliance_type,price,stock\nPS7500001,Drain Pump,Bosch,dishwasher,55.00,4\n"
MIXED = GOOD + "PS7500002,<script>alert(1)</script>,Bosch,dishwasher,<b>cheap</b>,1\n"
IMPORT_URL = "/admin/catalog/product/import/"


def _command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_catalog", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_reports_rejected_rows_and_exits_2(tmp_path):
    feed = tmp_path / "catalogue.csv"
    feed.write_text(MIXED)

    with pytest.raises(CommandError) as error:
        _command(str(feed))

    assert error.value.returncode == 2 and "1 row(s) rejected" in str(error.value)
    assert list(Product.objects.values_list("ps_number", flat=True)) == ["PS7500001"]

    feed.write_text(GOOD)
    out, err = _command(str(feed))
    assert "parts:            1 (0 created, 0 updated, 1 unchanged)" in out and err == ""


def test_the_command_lists_each_rejected_row_on_stderr(tmp_path):
    feed = tmp_path / "catalogue.csv"
    feed.write_text(MIXED)
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_catalog", str(feed), "--no-progress", stdout=io.StringIO(), stderr=err)

    assert "row 3: price: import_invalid_value: price must be a number, not '<b>cheap</b>'." in err.getvalue()


def test_the_command_dry_run_writes_nothing(tmp_path):
    feed = tmp_path / "catalogue.json"
    feed.write_text(
        '[{"part_number": "PS7500003", "name": "Latch", "brand": "GE", "appliance_type": "dishwasher", "price": 5}]'
    )

    out, _ = _command(str(feed), "--dry-run")

    assert "parts:            1 (1 created, 0 updated, 0 unchanged)" in out and "nothing was written" in out
    assert not Product.objects.exists()


def test_the_command_refuses_a_whole_file_problem(tmp_path):
    feed = tmp_path / "catalogue.csv"
    feed.write_text("sku,qty\nPS1,3\n")
    with pytest.raises(
        CommandError, match=r"Unknown columns sku, qty .*\[import_unknown_columns\] Nothing was imported"
    ):
        _command(str(feed))
    with pytest.raises(CommandError, match="Cannot tell the format"):
        _command(str(tmp_path / "catalogue.xlsx"))
    with pytest.raises(CommandError, match="No such file"):
        _command(str(tmp_path / "missing.csv"))


# --- the admin -----------------------------------------------------------------------------------


def _upload(content: str | bytes, name: str = "catalogue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, content_type="text/csv")


def test_the_product_list_links_to_the_import_page(admin_client):
    page = admin_client.get("/admin/catalog/product/")
    assert page.status_code == 200 and IMPORT_URL.encode() in page.content


def test_admin_check_shows_the_escaped_report_then_imports_without_a_second_upload(admin_client):
    assert admin_client.get(IMPORT_URL).status_code == 200

    checked = admin_client.post(IMPORT_URL, {"file": _upload(MIXED), "check": "1"})

    body = checked.content.decode()
    assert checked.status_code == 200 and "nothing was written yet" in body
    assert "import_invalid_value" in body and "&lt;b&gt;cheap&lt;/b&gt;" in body and "<b>cheap</b>" not in body
    assert not Product.objects.exists()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)

    imported = admin_client.post(IMPORT_URL, {"token": token})

    assert imported.status_code == 200 and "Imported catalogue.csv" in imported.content.decode()
    assert list(Product.objects.values_list("ps_number", flat=True)) == ["PS7500001"]
    # The held file is used once.
    again = admin_client.post(IMPORT_URL, {"token": token})
    assert again.status_code == 400 and b"no longer held" in again.content


def test_a_held_upload_taken_by_a_simultaneous_click_is_not_imported_twice(admin_client, monkeypatch):
    from catalog import admin as catalog_admin

    checked = admin_client.post(IMPORT_URL, {"file": _upload(GOOD), "check": "1"})
    token = re.search(r'name="token" value="([^"]+)"', checked.content.decode()).group(1)
    real_get = catalog_admin.cache.get
    # The other click read the held file first and deleted it between this one's read and delete.
    monkeypatch.setattr(catalog_admin.cache, "get", lambda key, *a: real_get(key, *a) or {"data": b"", "format": "csv"})
    assert admin_client.post(IMPORT_URL, {"token": token}).status_code == 200
    second = admin_client.post(IMPORT_URL, {"token": token})

    assert second.status_code == 400 and b"no longer held" in second.content
    assert Product.objects.count() == 1


def test_admin_import_now_and_a_bad_file(admin_client, settings):
    done = admin_client.post(IMPORT_URL, {"file": _upload(GOOD), "import": "1"})
    assert done.status_code == 200 and Product.objects.count() == 1

    bad = admin_client.post(IMPORT_URL, {"file": _upload("name\n<i>x</i>\n"), "check": "1"})
    assert bad.status_code == 400
    assert b"import_missing_columns" in bad.content and b"Nothing was imported" in bad.content

    unreadable = admin_client.post(IMPORT_URL, {"file": _upload(b"\x00\x01\x02", "feed.xml"), "check": "1"})
    assert unreadable.status_code == 400 and b"import_unreadable_file" in unreadable.content

    nameless = admin_client.post(IMPORT_URL, {"file": _upload(GOOD, "catalogue.dat"), "check": "1"})
    assert nameless.status_code == 400 and b"does not say its format" in nameless.content

    settings.PARLEY_CATALOG_IMPORT_MAX_BYTES = 10
    large = admin_client.post(IMPORT_URL, {"file": _upload(GOOD), "import": "1"})
    assert large.status_code == 400 and b"manage.py import_catalog" in large.content
    assert Product.objects.count() == 1


def test_admin_import_is_for_staff_with_the_catalogue_permissions(client, admin_client):
    shopper = User.objects.create_user("shopper", password="pw")
    client.force_login(shopper)
    refused = client.post(IMPORT_URL, {"file": _upload(GOOD), "import": "1"})
    assert refused.status_code == 302 and "/admin/login/" in refused["Location"]

    clerk = User.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_product"))
    client.force_login(clerk)
    assert client.post(IMPORT_URL, {"file": _upload(GOOD), "import": "1"}).status_code == 403
    assert b"Import catalogue" not in client.get("/admin/catalog/product/").content
    assert not Product.objects.exists()


def test_admin_import_needs_the_csrf_token(admin_user):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_user)
    assert csrf_client.post(IMPORT_URL, {"file": _upload(GOOD), "import": "1"}).status_code == 403
    assert not Product.objects.exists()

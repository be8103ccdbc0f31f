"""/dashboard/: staff only, a shell that loads dashboard.js and dashboard.css under the strict CSP."""

import re
from pathlib import Path

from django.conf import settings

STATIC = Path(settings.BASE_DIR) / "static" / "parley"


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_customers_who_are_not_staff_are_sent_to_log_in(client, django_user_model):
    user = django_user_model.objects.create_user("someone", password="pw-someone-1")
    client.force_login(user)
    assert client.get("/dashboard/").status_code == 302


def test_staff_get_the_dashboard_with_a_strict_csp(client, django_user_model):
    user = django_user_model.objects.create_user("op", password="pw-operator-1", is_staff=True)
    client.force_login(user)

    response = client.get("/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert 'src="/static/parley/dashboard.js"' in html
    assert 'href="/static/parley/dashboard.css"' in html
    assert 'data-dashboard-url="/api/admin/dashboard"' in html
    # no inline script, style or handler anywhere
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)
    # every chart has a table as its accessible alternative, and the filters are labelled
    for chart in ("funnel", "trend", "actions", "orders", "mentions", "recommendations", "sales"):
        assert f'id="chart-{chart}"' in html
    for table in ("funnel", "daily", "actions", "orders", "mentions", "recommendations", "sales", "alerts", "cost"):
        assert f'id="table-{table}"' in html
    assert '<option value="checkout_now">checkout_now</option>' in html


def test_the_script_builds_text_safely_and_needs_no_library():
    script = (STATIC / "dashboard.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script
    assert "textContent" in script and "createElementNS" in script
    assert "http://" not in script.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in script
    css = (STATIC / "dashboard.css").read_text()
    assert "@import" not in css and "url(" not in css

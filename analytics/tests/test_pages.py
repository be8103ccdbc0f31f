"""/dashboard/: staff only, a shell that loads dashboard.js and dashboard.css under the strict CSP."""

import hashlib
import json
import re
from html import unescape as html_unescape
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
    # action types by the names the action registry gives them, not their codes
    assert '<option value="checkout_now">Checkout now</option>' in html
    assert '<option value="check_compatible_alternatives">Show compatible alternatives</option>' in html
    labels = json.loads(html_unescape(re.search(r'data-action-labels="([^"]*)"', html).group(1)))
    assert labels["check_compatible_alternatives"] == "Show compatible alternatives"
    # the charting library, then the shared module, then the page's script: all from /static/
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == [
        "/static/parley/vendor/chart.js/chart.umd.min.js",
        "/static/parley/dash-common.js",
        "/static/parley/dashboard.js",
    ]


def test_the_experiments_page_loads_the_same_library_and_module(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("op", password="pw-operator-1", is_staff=True))
    html = client.get("/dashboard/experiments/").content.decode()
    assert re.findall(r'<script src="([^"]+)"', html) == [
        "/static/parley/vendor/chart.js/chart.umd.min.js",
        "/static/parley/dash-common.js",
        "/static/parley/experiments.js",
    ]


CHART_JS_VERSION = "4.6.1"
CHART_JS_SHA256 = "87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"


def test_the_vendored_chart_library_is_the_npm_release_with_its_licence():
    folder = STATIC / "vendor" / "chart.js"
    data = (folder / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == CHART_JS_SHA256
    assert f"Chart.js v{CHART_JS_VERSION}".encode() in data[:200]
    assert "MIT" in (folder / "LICENSE.md").read_text()
    assert CHART_JS_VERSION in (folder / "README.md").read_text()


def test_the_scripts_build_text_safely_and_draw_with_the_vendored_library():
    common = (STATIC / "dash-common.js").read_text()
    for name in ("dashboard.js", "experiments.js", "dash-common.js"):
        script = (STATIC / name).read_text()
        assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script, name
        assert "http://" not in script and "https://" not in script, name  # nothing from another origin
        # one copy of the DOM helpers and formats: dash-common.js's
        if name != "dash-common.js":
            assert "function el(" not in script and "function clear(" not in script, name
            assert "function fmtInt(" not in script and "function table(" not in script, name
            assert "createElementNS" not in script, name  # no hand-drawn SVG left
            assert "window.ParleyDash" in script, name
    assert "textContent" in common and "new Chart(" in common
    assert 'setAttribute("style"' not in common and ".innerHTML" not in common
    css = (STATIC / "dashboard.css").read_text()
    assert "@import" not in css and "url(" not in css

"""The chat page: served with the strict CSP, no inline code, labelled controls, static assets."""

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse

STATIC_DIR = Path(settings.BASE_DIR) / "static" / "parley"


class PageParser(HTMLParser):
    """Collects what the assertions need: tags with their attributes, and script/style bodies."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.script_bodies: list[str] = []
        self.style_tags = 0
        self._in_script = False
        self._text: list[str] = []
        self.label_text: dict[str, str] = {}
        self._label_for: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script":
            self._in_script = True
            self._text = []
        elif tag == "style":
            self.style_tags += 1
        elif tag == "label":
            self._label_for = attributes.get("for")
            self._text = []

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
            self.script_bodies.append("".join(self._text))
        elif tag == "label" and self._label_for:
            self.label_text[self._label_for] = "".join(self._text).strip()
            self._label_for = None

    def handle_data(self, data):
        if self._in_script or self._label_for:
            self._text.append(data)

    def find(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def page(client):
    response = client.get("/")
    parser = PageParser()
    parser.feed(response.content.decode())
    return response, parser


def test_chat_url_is_the_root():
    assert reverse("chat") == "/"


def test_page_is_served_with_the_strict_csp(page):
    response, _ = page
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self' ws: wss:",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "chat/index.html" in [t.name for t in response.templates]
    assert "base.html" in [t.name for t in response.templates]


def test_static_assets_come_from_the_static_tag(page):
    _, parser = page
    scripts = [a["src"] for a in parser.find("script") if "src" in a]
    assert scripts == [static("parley/chat-core.js"), static("parley/chat.js")]  # the core first (both defer)
    stylesheets = [a["href"] for a in parser.find("link", rel="stylesheet")]
    assert static("parley/chat.css") in stylesheets
    assert (STATIC_DIR / "chat.js").is_file()
    assert (STATIC_DIR / "chat.css").is_file()


def test_no_inline_code_or_styles(page):
    _, parser = page
    assert all(body.strip() == "" for body in parser.script_bodies), "inline <script> with code"
    assert all("src" in attrs for tag, attrs in parser.elements if tag == "script")
    assert parser.style_tags == 0
    for tag, attrs in parser.elements:
        for name in attrs:
            assert not name.lower().startswith("on"), f"inline handler {name} on <{tag}>"
            assert name.lower() != "style", f"inline style on <{tag}>"
        for value in attrs.values():
            assert not (value or "").strip().lower().startswith("javascript:")


def test_shop_name_heading_and_escaping(client):
    with override_settings(PARLEY_SHOP_NAME="Tom & Jerry's <Parts>"):
        response = client.get("/")
    text = response.content.decode()
    assert '<h1 class="chat-title">Tom &amp; Jerry&#x27;s &lt;Parts&gt;</h1>' in text
    assert "<Parts>" not in text


def test_labelled_controls_exist(page):
    _, parser = page
    (textarea,) = parser.find("textarea")
    assert textarea["id"] in parser.label_text
    assert parser.label_text[textarea["id"]]
    assert textarea.get("maxlength") == str(settings.PARLEY_MESSAGE_MAX_LENGTH)
    (send,) = parser.find("button", type="submit")
    assert send["id"] == "chat-send"
    (log,) = parser.find("div", role="log")  # a wrapper: role="log" on the <ol> would unmake the list
    assert log["aria-live"] == "polite"
    assert parser.find("ol", id="chat-log") and not parser.find("ol", role="log")
    assert log.get("aria-label")
    (typing,) = parser.find("div", id="chat-typing")
    assert "hidden" in typing


def test_example_questions_are_buttons(page):
    _, parser = page
    questions = [a["data-question"] for a in parser.find("button", type="button") if "data-question" in a]
    assert questions == [
        "Is PS11750057 compatible with my WDT780SAEM1?",
        "How can I install part number PS11752778?",
        "Is PS12584610 in stock?",
    ]


def test_example_questions_are_configuration(client):
    with override_settings(PARLEY_CHAT_EXAMPLES=["Which plan fits a team of 5?"]):
        response = client.get("/")
    assert "Which plan fits a team of 5?" in response.content.decode()
    assert "PS11750057" not in response.content.decode()


def test_page_hands_the_api_endpoints_to_the_script(page):
    _, parser = page
    (app,) = parser.find("div", id="parley-chat")
    assert app["data-conversations-url"] == "/api/chat/conversations"
    assert app["data-checkout-url"] == "/api/checkout/session"
    assert app["data-alternatives-url"] == "/api/chat/actions/alternatives"
    assert app["data-back-in-stock-url"] == "/api/alerts/back-in-stock"
    (meta,) = parser.find("meta", name="csrf-token")
    assert meta["content"]


SCRIPTS = ("chat-core.js", "chat.js", "widget.js")


@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_never_insert_html(name):
    source = (STATIC_DIR / name).read_text()
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert forbidden not in source, forbidden


def test_chat_core_speaks_the_contract():
    source = (STATIC_DIR / "chat-core.js").read_text()
    for needle in (
        '"parley.conversation"',
        "Authorization",
        '"action.click"',
        '"action.status"',
        '"payment.confirmed"',
        '"alert.notified"',
        '"history"',
        "requiresConfirmation",
        "prefers-color-scheme",
    ):
        assert needle in source or needle in (STATIC_DIR / "chat.css").read_text(), needle


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("name", SCRIPTS)
def test_scripts_parse(name):
    result = subprocess.run(["node", "--check", str(STATIC_DIR / name)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr

"""Helpers for the browser tests (Playwright driving Debian's Chromium against a LiveStack)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
STAFF_PASSWORD = "operator-pw-4821"

# A stand-in for the catalogue's product photos (their host is not reachable in tests).
PART_IMAGE = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96"><rect width="96" height="96" fill="#e9eef5"/>'
    b'<circle cx="48" cy="48" r="26" fill="#8aa4c2"/><rect x="40" y="18" width="16" height="60" rx="4" fill="#46658c"/></svg>'
)


@contextmanager
def chromium():
    """A launched Chromium for a module's tests (each test opens contexts of its own), closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def expect():
    """Playwright's `expect`, imported when a browser test runs (the module imports without it)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def new_context(browser, **kwargs):
    """A fresh browser profile; product photos answered locally."""
    context = browser.new_context(**kwargs)
    context.route(
        re.compile(r"^https://images\.parley\.example/.*"),
        lambda route: route.fulfill(status=200, content_type="image/svg+xml", body=PART_IMAGE),
    )
    return context


def screenshot(page, name: str, full_page: bool = False) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def watch_problems(page) -> list[str]:
    """Console errors, page errors and dialogs (an XSS payload firing would open one)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))

    def on_dialog(dialog):
        problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return problems


def create_staff(stack, username: str) -> None:
    stack.run_manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.contrib.auth import get_user_model; U = get_user_model(); "
        f"U.objects.filter(username={username!r}).exists() or "
        f"U.objects.create_user({username!r}, password={STAFF_PASSWORD!r}, is_staff=True, is_superuser=True)",
    )


def staff_login(page, stack, username: str, next_path: str) -> None:
    page.goto(stack.url(f"/admin/login/?next={next_path}"))
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url(f"**{next_path}**")


# --- WCAG contrast ---------------------------------------------------------------------


def _channel(value: float) -> float:
    value /= 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def parse_rgb(css: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    if len(numbers) < 3:
        raise ValueError(f"not an rgb() colour: {css!r}")
    return numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0


def luminance(rgb) -> float:
    r, g, b = rgb[:3]
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    fg, bg = parse_rgb(foreground), parse_rgb(background)
    if fg[3] < 1:  # a translucent foreground over its background
        fg = (*(fg[i] * fg[3] + bg[i] * (1 - fg[3]) for i in range(3)), 1.0)
    lighter, darker = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)

"""axe-core in the browser tests: the page is checked as it is, and a test fails listing what axe found.

    from core.testing.axe import axe_serious
    assert axe_serious(page) == []        # each failure: "rule (impact): help — selector, selector …"

axe-core is vendored for the tests only (core/testing/vendor/axe-core/, never a static file the
shop serves). It is evaluated through Playwright (the DevTools protocol), so the page's
Content-Security-Policy stays as customers get it. Open shadow roots (the widget) are checked
too. To update: `npm pack axe-core@<version>`, copy `package/axe.min.js` and `package/LICENSE`
here, and set AXE_VERSION and AXE_SHA256.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

_RUN = """async (impacts) => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.flat().join(" >>> ")),
      summary: v.nodes.length ? v.nodes[0].failureSummary : "",
    }));
}"""


@cache
def axe_source() -> str:
    data = AXE_JS.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != AXE_SHA256:
        raise RuntimeError(f"{AXE_JS} is not axe-core {AXE_VERSION} (sha256 {digest})")
    return data.decode()


def axe_violations(page, impacts=FAILING_IMPACTS) -> list[dict]:
    """The page's axe-core violations of these impacts (every rule axe runs by default)."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.evaluate(axe_source())
    return page.evaluate(_RUN, list(impacts))


def axe_report(violations: list[dict]) -> list[str]:
    """One line a violation: rule, impact, what it asks, where (at most five elements) and why."""
    lines = []
    for v in violations:
        where = ", ".join(v["targets"][:5]) + (f" … (+{len(v['targets']) - 5})" if len(v["targets"]) > 5 else "")
        why = " ".join(v["summary"].split())
        lines.append(f"{v['id']} ({v['impact']}, {len(v['targets'])} elements): {v['help']} — {where} — {why}")
    return lines


def axe_serious(page) -> list[str]:
    """Serious and critical violations as readable lines: a test asserts this is []."""
    return axe_report(axe_violations(page))

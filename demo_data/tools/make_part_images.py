"""Draw the demo shop's product pictures: one small SVG per appliance and part category.

The demo catalogue ships its own pictures (static/parley/parts/), served by the app itself, so
the demo never depends on an image host. Each picture is a tinted tile (blue for refrigerators,
green for dishwashers), a simple drawing for the kind of part and the category's name.
Run: .venv/bin/python demo_data/tools/make_part_images.py  (rewrites static/parley/parts/*.svg and
the image_url values in demo_data/parts.json)
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from catalog.images import shipped_picture_path  # noqa: E402  (the one naming of the files)

OUT = ROOT / "static" / "parley" / "parts"

TINTS = {"refrigerator": ("#e6f0fb", "#2f6db5"), "dishwasher": ("#e5f5ec", "#23804f")}

# A drawing per kind of part: SVG shapes in a 120x120 box (stroke colour from the appliance).
ROUND = '<circle cx="60" cy="52" r="30"/><circle cx="60" cy="52" r="10"/>'
BOARD = (
    '<rect x="28" y="26" width="64" height="48" rx="4"/>'
    '<path d="M40 40h14M40 52h24M40 64h10"/><circle cx="78" cy="40" r="4"/>'
)
BIN = '<path d="M26 34h68l-8 42H34z"/><path d="M34 48h52"/>'
LINE = '<path d="M24 66c14-30 30 10 44-14s18-18 28-20"/><circle cx="24" cy="66" r="5"/><circle cx="96" cy="32" r="5"/>'
RING = '<rect x="26" y="24" width="68" height="56" rx="14"/><rect x="36" y="34" width="48" height="36" rx="8"/>'
BAR = (
    '<rect x="24" y="42" width="72" height="20" rx="10"/><circle cx="38" cy="52" r="4"/><circle cx="82" cy="52" r="4"/>'
)
RACK = '<path d="M24 30v40h72V30M36 30v40M48 30v40M60 30v40M72 30v40M84 30v40M24 50h72"/>'
DRAWINGS = {
    "Motors": ROUND,
    "Pumps": ROUND,
    "Valves": ROUND,
    "Filters": ROUND,
    "Spray Arms": BAR,
    "Wheels and Rollers": ROUND,
    "Lights and Bulbs": ROUND,
    "Circuit Boards": BOARD,
    "Control Panels": BOARD,
    "Relays": BOARD,
    "Switches": BOARD,
    "Sensors": LINE,
    "Thermostats": LINE,
    "Heating Elements": LINE,
    "Hoses and Tubes": LINE,
    "Bins and Shelves": BIN,
    "Baskets": BIN,
    "Trays": BIN,
    "Drawers and Glides": BIN,
    "Dispensers": BIN,
    "Seals and Gaskets": RING,
    "Dampers": RING,
    "Handles": BAR,
    "Hinges": BAR,
    "Latches": BAR,
    "Dishrack Adjusters": BAR,
    "Dishracks": RACK,
    "Ice Makers": RACK,
}


def image_url(appliance_type: str, category: str) -> str:
    """The site path the demo catalogue stores (served from STATIC_URL, /static/)."""
    return shipped_picture_path(appliance_type, category)


def draw(appliance_type: str, category: str) -> str:
    background, ink = TINTS[appliance_type]
    label = category.replace("&", "&amp;")
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="320" height="320" '
        f'role="img" aria-label="{label} ({appliance_type})">'
        f'<rect width="120" height="120" rx="12" fill="{background}"/>'
        f'<g fill="none" stroke="{ink}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round">'
        f"{DRAWINGS[category]}</g>"
        f'<text x="60" y="104" text-anchor="middle" font-family="system-ui, sans-serif" font-size="10" '
        f'fill="{ink}">{label}</text></svg>\n'
    )


def main() -> None:
    parts = json.loads((ROOT / "demo_data" / "parts.json").read_text(encoding="utf-8"))
    # Every category for both appliances: the synthetic catalogue (generate_catalog) has more
    # appliance/category pairs than the demo's.
    kinds = sorted((appliance_type, category) for appliance_type in TINTS for category in DRAWINGS)
    assert {(part["appliance_type"], part["category"]) for part in parts} <= set(kinds)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.svg"):
        old.unlink()
    for appliance_type, category in kinds:
        (ROOT / image_url(appliance_type, category).lstrip("/")).write_text(
            draw(appliance_type, category), encoding="utf-8"
        )
    # parts.json keeps its layout: only each part's image_url value is rewritten.
    text = (ROOT / "demo_data" / "parts.json").read_text(encoding="utf-8")
    for part in parts:
        old = json.dumps(part["image_url"])
        new = json.dumps(image_url(part["appliance_type"], part["category"]))
        text = text.replace(f'"image_url": {old}', f'"image_url": {new}', 1)
    (ROOT / "demo_data" / "parts.json").write_text(text, encoding="utf-8")
    print(f"{len(kinds)} pictures in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

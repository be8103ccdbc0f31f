"""Reading the demo catalogue files (demo_data/) into the rows `catalog_import` takes."""

import csv
import json
from pathlib import Path

from django.conf import settings

DEMO_DATA_DIR = Path(settings.BASE_DIR) / "demo_data"


def demo_catalog_read(*, directory: Path = DEMO_DATA_DIR) -> dict[str, list[dict]]:
    """The keyword arguments for `catalog_import`, read from parts.json, appliance_models.json,
    compatibility.csv and symptoms.json."""
    with (directory / "compatibility.csv").open(newline="", encoding="utf-8") as fh:
        compatibility = [{**row, "confidence": float(row["confidence"])} for row in csv.DictReader(fh)]
    return {
        "parts": json.loads((directory / "parts.json").read_text(encoding="utf-8")),
        "models": json.loads((directory / "appliance_models.json").read_text(encoding="utf-8")),
        "compatibility": compatibility,
        "symptoms": json.loads((directory / "symptoms.json").read_text(encoding="utf-8")),
    }

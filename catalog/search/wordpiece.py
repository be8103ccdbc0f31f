"""BERT's uncased WordPiece tokenizer in pure Python, read from a `tokenizer.json`.

The static embedder (embeddings.py) needs token ids and nothing else; the `tokenizers`
package would bring `huggingface_hub` and its dependencies into the runtime install for
that. This reproduces the three steps the distilled model's tokenizer.json declares
(BertNormalizer, BertPreTokenizer, WordPiece) and refuses any other declaration;
catalog/tests/test_static_embedder.py checks it against `tokenizers` on the demo data.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_UNKNOWN = -1
# ASCII text (nearly every catalogue text) takes a fast path with the same result as the Unicode
# rules below: tab, CR and LF become spaces, other control characters go, letters are lowered;
# then runs of letters and digits are words and every other printable character is a word of its own.
_ASCII_CLEAN = {code: None for code in (*range(32), 127)} | {ord(c): " " for c in "\t\n\r"}
_ASCII_WORDS = re.compile(r"[a-z0-9]+|[^ a-z0-9]")


def _is_punctuation(char: str) -> bool:
    # BERT counts every non-alphanumeric ASCII symbol as punctuation, plus Unicode's P* classes.
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2B73F
        or 0x2B740 <= code <= 0x2B81F
        or 0x2B820 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


def normalise(text: str) -> str:
    """BertNormalizer: drop control characters, space out CJK ideographs, lower case, strip accents."""
    kept = []
    for char in text:
        code = ord(char)
        if code == 0 or code == 0xFFFD:
            continue
        category = unicodedata.category(char)
        if char in "\t\n\r" or category == "Zs":
            kept.append(" ")
        elif category.startswith("C"):
            continue
        elif _is_cjk(code):
            kept.append(f" {char} ")
        else:
            kept.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(kept).lower())
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


def pretokenise(text: str) -> list[str]:
    """BertPreTokenizer: split on white space, every punctuation character a word of its own."""
    words = []
    for chunk in text.split():
        start = 0
        for i, char in enumerate(chunk):
            if _is_punctuation(char):
                if i > start:
                    words.append(chunk[start:i])
                words.append(char)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class WordPieceTokenizer:
    def __init__(self, *, vocab: dict[str, int], prefix: str = "##", max_word_chars: int = 100):
        self.vocab = vocab
        self.prefix = prefix
        self.max_word_chars = max_word_chars
        # Shoppers reuse the same few thousand words: each word is split once per process.
        self._word_ids = lru_cache(maxsize=65_536)(self._split_word)

    @classmethod
    def from_file(cls, path: Path) -> WordPieceTokenizer:
        spec = json.loads(Path(path).read_text())
        normalizer, pre, model = spec.get("normalizer") or {}, spec.get("pre_tokenizer") or {}, spec.get("model") or {}
        supported = (
            normalizer.get("type") == "BertNormalizer"
            and normalizer.get("lowercase") is True
            and normalizer.get("clean_text") is True
            and normalizer.get("handle_chinese_chars") is True
            and normalizer.get("strip_accents") in (None, True)
            and pre.get("type") == "BertPreTokenizer"
            and model.get("type") == "WordPiece"
        )
        if not supported:
            raise ValueError(f"{path}: not an uncased BERT WordPiece tokenizer, which is all this module reads")
        return cls(
            vocab=model["vocab"],
            prefix=model.get("continuing_subword_prefix") or "##",
            max_word_chars=model.get("max_input_chars_per_word") or 100,
        )

    def _split_word(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match-first pieces; a word with any unmatched piece is unknown (empty)."""
        if len(word) > self.max_word_chars:
            return ()
        ids = []
        start = 0
        while start < len(word):
            end = len(word)
            found = _UNKNOWN
            while start < end:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                found = self.vocab.get(piece, _UNKNOWN)
                if found != _UNKNOWN:
                    break
                end -= 1
            if found == _UNKNOWN:
                return ()
            ids.append(found)
            start = end
        return tuple(ids)

    def encode(self, text: str) -> list[int]:
        """Token ids without special tokens; unknown words are left out (as model2vec does)."""
        if text.isascii():
            words = _ASCII_WORDS.findall(text.translate(_ASCII_CLEAN).lower())
        else:
            words = pretokenise(normalise(text))
        word_ids = self._word_ids
        return [token for word in words for token in word_ids(word)]

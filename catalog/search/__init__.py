"""Catalogue search: exact identifiers, then lexical (BM25 over an in-process inverted index),
then semantic (sentence embeddings, when built), fused by reciprocal rank.

Import from `catalog.search.engine`; this package's `__init__` stays import-free because
`catalog.models` imports `catalog.search.models`.
"""

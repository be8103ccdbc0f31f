"""Stored sentence embeddings of products, for semantic search (float32 blobs, one per product).

No pgvector here: vectors are searched in-process with numpy (a cached, normalised matrix),
which is fast enough at 100,000 × 384 and works the same on SQLite and PostgreSQL.
"""

import numpy as np
from django.db import models


class ProductEmbedding(models.Model):
    product = models.OneToOneField("catalog.Product", on_delete=models.CASCADE, primary_key=True, related_name="+")
    # Which embedder made the vector ("local:all-MiniLM-L6-v2:int8", "openai:text-embedding-3-small"):
    # vectors of different embedders are never mixed.
    embedder = models.CharField(max_length=80, db_index=True)
    dim = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    # Hash of the text that was embedded: a changed product is embedded again, an unchanged one is not.
    text_hash = models.CharField(max_length=16)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        app_label = "catalog"
        # Search checks the vectors' freshness on every query: MAX(updated_at) per embedder,
        # answered from this index without reading the blobs.
        indexes = [models.Index(fields=["embedder", "updated_at"], name="catalog_embedding_fresh_idx")]

    def __str__(self):
        return f"{self.product_id} ({self.embedder})"

    def as_array(self) -> np.ndarray:
        return np.frombuffer(bytes(self.vector), dtype=np.float32)

from catalog.services.imports import CatalogImportResult, UpsertCounts, catalog_import
from catalog.services.stock import product_stock_set

__all__ = ["CatalogImportResult", "UpsertCounts", "catalog_import", "product_stock_set"]

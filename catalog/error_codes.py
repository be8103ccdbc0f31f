"""Every error code catalog answers with (the `code` of its errors, in `{"error": {"code", …}}`):
one list, one name each. Clients branch on these values, so a value never changes meaning.
(Saleor keeps one `error_codes.py` per app the same way.)"""

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    APPLIANCE_MODEL_NOT_FOUND = "appliance_model_not_found"
    CATALOG_ERROR = "catalog_error"
    CATALOG_IMPORT_INVALID = "catalog_import_invalid"
    INVALID_IMAGE_URL = "invalid_image_url"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_SIZE = "invalid_size"
    PRODUCT_NOT_FOUND = "product_not_found"

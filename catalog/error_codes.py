"""Every error code catalog answers with (the `code` of its errors, in `{"error": {"code", …}}`):
one list, one name each. Clients branch on these values, so a value never changes meaning.
(Saleor keeps one `error_codes.py` per app the same way.)"""

from enum import StrEnum


class CatalogErrorCode(StrEnum):
    APPLIANCE_MODEL_NOT_FOUND = "appliance_model_not_found"
    CATALOG_ERROR = "catalog_error"
    CATALOG_IMPORT_INVALID = "catalog_import_invalid"
    IMPORT_DUPLICATE_ROW = "import_duplicate_row"
    IMPORT_EMPTY_FILE = "import_empty_file"
    IMPORT_FILE_TOO_LARGE = "import_file_too_large"
    IMPORT_INVALID_CHOICE = "import_invalid_choice"
    IMPORT_INVALID_VALUE = "import_invalid_value"
    IMPORT_MISSING_COLUMNS = "import_missing_columns"
    IMPORT_OUT_OF_RANGE = "import_out_of_range"
    IMPORT_REQUIRED = "import_required"
    IMPORT_TOO_LONG = "import_too_long"
    IMPORT_UNKNOWN_COLUMNS = "import_unknown_columns"
    IMPORT_UNKNOWN_FORMAT = "import_unknown_format"
    IMPORT_UNKNOWN_REFERENCE = "import_unknown_reference"
    IMPORT_UNREADABLE_FILE = "import_unreadable_file"
    INVALID_IMAGE_URL = "invalid_image_url"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_SIZE = "invalid_size"
    PRODUCT_NOT_FOUND = "product_not_found"

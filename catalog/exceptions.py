from catalog.error_codes import CatalogErrorCode
from core.exceptions import ApplicationError, NotFound


class CatalogError(ApplicationError):
    code = CatalogErrorCode.CATALOG_ERROR


class CatalogImportError(CatalogError):
    code = CatalogErrorCode.CATALOG_IMPORT_INVALID


class ProductNotFound(NotFound):
    code = CatalogErrorCode.PRODUCT_NOT_FOUND


class ApplianceModelNotFound(NotFound):
    code = CatalogErrorCode.APPLIANCE_MODEL_NOT_FOUND

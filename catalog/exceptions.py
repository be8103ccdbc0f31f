from core.exceptions import ApplicationError, NotFound


class CatalogError(ApplicationError):
    code = "catalog_error"


class CatalogImportError(CatalogError):
    code = "catalog_import_invalid"


class ProductNotFound(NotFound):
    code = "product_not_found"


class ApplianceModelNotFound(NotFound):
    code = "appliance_model_not_found"

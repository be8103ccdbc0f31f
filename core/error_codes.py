"""Every error code core answers with: the edge (parsers, middleware, socket frames), the generic
refusals every app may raise (ApplicationError and its subclasses), and the rate limiter. One
list, one name each; clients branch on these values, so a value never changes meaning. (Saleor
keeps one `error_codes.py` per app the same way.)

DRF's own refusals pass through with DRF's codes (`not_authenticated`, `authentication_failed`,
`permission_denied`, `method_not_allowed`, `unsupported_media_type`, `not_acceptable`)."""

from enum import StrEnum


class CoreErrorCode(StrEnum):
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    INVALID = "invalid"  # a serializer's or a model's validation: the fields say what
    INVALID_CHARACTERS = "invalid_characters"
    INVALID_EVENT = "invalid_event"  # a socket frame that is not an object with a string `type`
    INVALID_FRAME = "invalid_frame"  # a binary socket frame
    INVALID_INPUT = "invalid_input"
    INVALID_JSON = "invalid_json"
    INVALID_REQUEST = "invalid_request"
    JSON_TOO_DEEP = "json_too_deep"
    NOT_FOUND = "not_found"
    PARSE_ERROR = "parse_error"  # a REST body that is not JSON (DRF's name, kept)
    RATE_LIMITED = "rate_limited"
    REQUEST_TOO_LARGE = "request_too_large"
    SERVER_ERROR = "server_error"
    SERVICE_UNAVAILABLE = "service_unavailable"  # the database is not answering: 503, Retry-After
    UNKNOWN_TYPE = "unknown_type"  # a socket frame whose `type` the consumer does not handle

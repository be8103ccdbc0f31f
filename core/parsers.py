"""The JSON parser of every DRF endpoint (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"])."""

from django.conf import settings
from rest_framework import parsers

from core.error_codes import CoreErrorCode
from core.jsonsafe import InputRefused, json_loads


def request_too_large() -> InputRefused:
    limit = settings.PARLEY_REQUEST_MAX_BYTES
    return InputRefused(
        f"The request body is larger than {limit} bytes.", code=CoreErrorCode.REQUEST_TOO_LARGE, status_code=413
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a size cap (also for bodies sent without Content-Length), a depth
    limit, and NUL / lone surrogates refused: 400 or 413 with the usual error body, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.PARLEY_REQUEST_MAX_BYTES
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise request_too_large()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise InputRefused(f"The body is not valid {encoding} text.", code=CoreErrorCode.PARSE_ERROR) from None
        return json_loads(text, invalid_code=CoreErrorCode.PARSE_ERROR)

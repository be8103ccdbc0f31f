"""The API schema is valid OpenAPI 3 and the docs pages load nothing from outside."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

_ASSET = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


def test_schema_is_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_operation_documents_the_one_error_shape(client):
    schema = json.loads(client.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]

    assert [name for name in components if "rror" in name] == ["Error", "ErrorDetail"]
    assert set(components["ErrorDetail"]["properties"]) == {"code", "detail", "fields"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code == "default" or code[0] in "45"}
            assert "default" in errors, (method, path)
            for code, response in errors.items():
                refs = {media["schema"]["$ref"] for media in response["content"].values()}
                assert refs == {"#/components/schemas/Error"}, (method, path, code)


def test_api_docs_load_only_our_own_static_files(client):
    path = "/api/docs/"
    response = client.get(path)

    assert response.status_code == 200
    assets = _ASSET.findall(response.content.decode())
    assert any(url.endswith(".js") for url in assets), assets
    for url in assets:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{path} loads {url} from outside"
        if parts.path.startswith(settings.STATIC_URL):
            relative = parts.path[len(settings.STATIC_URL) :]
            assert finders.find(relative), f"{url} is not found by the staticfiles finders"
        else:
            assert client.get(url).status_code == 200, url

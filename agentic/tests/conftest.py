import pytest

from agentic.tests.acp import AcpClient


@pytest.fixture
def platform(db):
    from agentic.models import AgentPlatform
    from agentic.services.auth import api_key_issue

    platform = AgentPlatform.objects.create(name="ChatGPT", slug="chatgpt")
    _, key = api_key_issue(platform=platform)
    platform.raw_key = key
    return platform


@pytest.fixture
def acp(client, platform, request):
    request.getfixturevalue("shop")
    return AcpClient(client, platform.raw_key)

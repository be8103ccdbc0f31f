"""chat-core.js's pure helpers, tested by node's built-in runner (no npm, no install): this runs
those tests inside the pytest suite, and skips with the reason where node is missing."""

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).parent / "js" / "chat_core.test.js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed (the chat's JS unit tests need it)")
def test_chat_core_pure_helpers_under_node():
    result = subprocess.run(["node", "--test", str(JS_TESTS)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout

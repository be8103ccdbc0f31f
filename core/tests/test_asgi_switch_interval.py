"""The ASGI application sets the GIL switch interval its threads hand the GIL over at."""

import sys

from django.conf import settings


def test_the_asgi_application_sets_the_gil_switch_interval():
    import config.asgi  # noqa: F401  (imported for its effect)

    assert settings.PARLEY_GIL_SWITCH_INTERVAL == 0.001
    assert sys.getswitchinterval() == settings.PARLEY_GIL_SWITCH_INTERVAL

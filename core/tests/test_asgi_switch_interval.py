"""The ASGI application sets the GIL switch interval its threads hand the GIL over at."""

import gc
import sys

from django.conf import settings


def test_the_asgi_application_sets_the_gil_switch_interval():
    callbacks = list(gc.callbacks)
    try:
        import config.asgi  # noqa: F401  (imported for its effect)

        assert settings.PARLEY_GIL_SWITCH_INTERVAL == 0.001
        assert sys.getswitchinterval() == settings.PARLEY_GIL_SWITCH_INTERVAL
    finally:
        # The slow-collection log is the server's, not this test process's (it would log at exit).
        gc.callbacks[:] = callbacks
        gc.unfreeze()

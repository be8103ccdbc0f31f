"""HTTP (Django and the MCP server) and WebSocket in one ASGI application, served by Daphne."""

import os

# One BLAS thread per web process, set before numpy is first imported: search's matrix-vector
# products are small, and a second OpenBLAS thread waiting for a core on a busy machine made a
# 10,000 × 256 product's p95 31 ms instead of 4.5 ms, and cost six times the CPU (README,
# "Search at scale"). Processes, not BLAS threads, are how a web server uses its cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

# Consumers import models, so they come after Django is set up.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.urls import re_path  # noqa: E402

from agentic.mcp.asgi import WithMcpDoor  # noqa: E402
from conversations.routing import websocket_urlpatterns  # noqa: E402
from core.consumers import SocketNotFoundConsumer, SocketUnavailableGuard  # noqa: E402
from core.cors import EmbedOriginValidator  # noqa: E402
from core.process_tuning import django_load_ahead, server_process_tune  # noqa: E402

http_app = ASGIStaticFilesHandler(django_asgi_app) if settings.PARLEY_SERVE_STATIC else django_asgi_app

application = ProtocolTypeRouter(
    {
        # /mcp/ is the Model Context Protocol server (agentic/mcp/), outside Django's URL routing.
        "http": WithMcpDoor(http_app),
        # Origins: this site's hosts, plus PARLEY_EMBED_ORIGINS on the chat socket (the widget).
        # Any other path is closed with 4404 (the router alone would answer an HTTP 500). Which
        # sockets read the session (the operators') is the routes' business. An unavailable
        # database (a consumer's connect, the operators' session and user lookup) closes with 4503.
        "websocket": SocketUnavailableGuard(
            EmbedOriginValidator(URLRouter([*websocket_urlpatterns, re_path(r"", SocketNotFoundConsumer.as_asgi())]))
        ),
    }
)

# Last, so that everything loaded above (and the URLconf, which Django would load on the first
# request) is frozen out of the collector's walks.
server_process_tune(
    switch_interval=settings.PARLEY_GIL_SWITCH_INTERVAL,
    gc_freeze=settings.PARLEY_GC_FREEZE,
    gc_slow_ms=settings.PARLEY_GC_SLOW_MS,
    gc_thresholds=tuple(settings.PARLEY_GC_THRESHOLDS),
    load_ahead=django_load_ahead,
)

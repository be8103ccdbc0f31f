from django.urls import re_path

from agentic.apis import AcpSessionApi, AcpSessionCancelApi, AcpSessionCompleteApi, AcpSessionCreateApi

# Mounted at /acp/. A trailing slash is optional (agents build these URLs from the spec's paths).
urlpatterns = [
    re_path(r"^checkout_sessions/?$", AcpSessionCreateApi.as_view(), name="acp-sessions"),
    re_path(r"^checkout_sessions/(?P<session_id>[^/]+)/?$", AcpSessionApi.as_view(), name="acp-session"),
    re_path(
        r"^checkout_sessions/(?P<session_id>[^/]+)/complete/?$",
        AcpSessionCompleteApi.as_view(),
        name="acp-session-complete",
    ),
    re_path(
        r"^checkout_sessions/(?P<session_id>[^/]+)/cancel/?$", AcpSessionCancelApi.as_view(), name="acp-session-cancel"
    ),
]

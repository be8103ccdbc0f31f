"""Schema-driven fuzzing in tests: schemathesis generates requests from an OpenAPI document and
Django's test client sends them in-process.

Bounded so that a run is the same every time and cannot run away: a fixed number of cases per
operation, derandomized, no deadline and no example database."""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode


def bounded(max_examples: int) -> settings:
    """Hypothesis settings for a fuzz that must be repeatable: the same cases on every run, no
    deadline (a busy machine is not a failure), no health check failing a slow strategy."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def json_values(text, *, keys=None, max_size: int = 2, max_leaves: int = 6):
    """Any JSON-shaped value a hostile client could send: null, booleans, integers, floats (no
    NaN, which JSON has no word for), the given text strategy, nested in lists and objects whose
    keys are `keys` (short text unless given)."""
    keys = st.text(max_size=8) if keys is None else keys
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=max_size) | st.dictionaries(keys, inner, max_size=max_size),
        max_leaves=max_leaves,
    )


@dataclass(frozen=True)
class Sent:
    """One generated request as it went out, and what came back."""

    method: str
    path: str
    body: object
    response: object


def case_send(client, case, *, headers: dict | None = None, prefix: str = "") -> Sent:
    """Send a schemathesis case through a Django test client.

    `headers` are laid over the ones the case generated (a value of None removes one); `prefix`
    is put before the case's path, for a document whose paths are relative to a mount point."""
    kwargs = case.as_transport_kwargs(base_url="")
    merged = {k: v for k, v in (kwargs.get("headers") or {}).items() if isinstance(v, str)}
    for name, value in (headers or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in merged.items() if k.lower() != "content-type"}
    method = case.method.upper()
    path = prefix + case.formatted_path
    query = kwargs.get("params") or {}
    body = kwargs.get("json")
    if method == "GET":
        response = client.get(path, query, **meta)
    else:
        if query:
            path = f"{path}?{urlencode(query, doseq=True)}"
        data = json.dumps(body) if body is not None else (kwargs.get("data") or "")
        response = client.generic(method, path, data, content_type="application/json", **meta)
    return Sent(method=method, path=path, body=body, response=response)


@dataclass
class FuzzOutcome:
    """What a fuzz run saw: the count of every status, and each 5xx."""

    statuses: Counter = field(default_factory=Counter)
    server_errors: list = field(default_factory=list)
    unbreakable: list = field(default_factory=list)  # negative mode: operations with nothing to break

    @property
    def cases(self) -> int:
        return sum(self.statuses.values())

    def record(self, sent: Sent) -> None:
        status = sent.response.status_code
        self.statuses[status] += 1
        if status >= 500:
            self.server_errors.append((sent.method, sent.path, status, sent.body, sent.response.content[:300]))


def schema_fuzz(
    document: dict,
    *,
    cases_per_operation: int,
    send: Callable[..., Sent],
    mode: GenerationMode = GenerationMode.POSITIVE,
    **strategies,
) -> FuzzOutcome:
    """Every operation of the OpenAPI `document`, `cases_per_operation` generated cases each:
    data the schema allows, or with `mode=GenerationMode.NEGATIVE` data it does not.

    `send(case, **drawn)` sends one case (see `case_send`) and may check its answer; `strategies`
    are drawn alongside each case and passed to it by name (who is asking, whether ids are real)."""
    outcome = FuzzOutcome()
    for result in schemathesis.openapi.from_dict(document).get_all_operations():
        operation = result.ok()

        @bounded(cases_per_operation)
        @given(case=operation.as_strategy(generation_mode=mode), **strategies)
        def run(case, **drawn):
            outcome.record(send(case, **drawn))

        try:
            run()
        except Unsatisfiable:
            if mode == GenerationMode.POSITIVE:
                raise
            outcome.unbreakable.append(operation.label)  # e.g. a GET without parameters
    return outcome

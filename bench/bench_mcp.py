"""MCP tool-call round trips against the same calls through the REST API, same stack, same run.

Daphne on SQLite with the generated 100,000-part catalogue (plus the demo shop). One client of
each kind, sequential, calls interleaved (REST, then MCP, for each item) so load on the machine
falls on both alike:
- "compatibility": `check_compatibility` (MCP, the SDK's own client over Streamable HTTP) vs
  `GET /api/catalog/compatibility` (REST), over BENCH_N part/model pairs (half listed fits,
  half random pairs).
- "search": `search_parts` vs `GET /api/catalog/search`, over BENCH_N distinct queries
  (limit 10 both).
- "… MCP server only": the same tools/call as one bare JSON-RPC POST (httpx, no SDK client), so
  the server's share and the SDK client's share of the MCP figure can be told apart.
- the difference of the p50s is what the MCP framing costs (JSON-RPC, the SDK's validation, the
  key check), the rest is the same catalogue code.
`BENCH_PARTS` (default 100000), `BENCH_N` (default 300).
"""

import asyncio
import logging
import os
import random
import sys
import time

from bench_search import queries
from common import environment, latency_figures, write_result

from core.testing.live import LiveStack

PARTS = int(os.environ.get("BENCH_PARTS", "100000"))
N = int(os.environ.get("BENCH_N", "300"))
WARMUP = 20


def pairs_from_catalogue(n: int) -> list[tuple[str, str]]:
    from catalog.models import ApplianceModel, Compatibility, Product

    rnd = random.Random(11)
    fits = list(
        Compatibility.objects.order_by("?").values_list("product__ps_number", "appliance_model__model_number")[: n // 2]
    )
    parts = list(Product.objects.order_by("?").values_list("ps_number", flat=True)[:n])
    models = list(ApplianceModel.objects.values_list("model_number", flat=True))
    randoms = [(rnd.choice(parts), rnd.choice(models)) for _ in range(n - len(fits))]
    out = fits + randoms
    rnd.shuffle(out)
    return out


async def measure(stack, key: str, pairs: list[tuple[str, str]], texts: list[str]) -> dict:
    import httpx
    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    mcp_http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=900)
    figures = {}
    async with (
        Client(streamable_http_client(stack.url("/mcp/"), http_client=mcp_http)) as mcp,
        httpx.AsyncClient(base_url=stack.base_url, timeout=900) as rest,
    ):

        async def rest_compat(pair):
            response = await rest.get(
                "/api/catalog/compatibility", params={"psNumber": pair[0], "modelNumber": pair[1]}
            )
            assert response.status_code == 200, response.text
            return response.json()["compatible"]

        async def mcp_compat(pair):
            result = await mcp.call_tool("check_compatibility", {"ps_number": pair[0], "model_number": pair[1]})
            assert not result.is_error, result.content
            return result.structured_content["compatible"]

        raw_headers = {
            "Authorization": f"Bearer {key}",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2025-06-18",
        }

        async def raw_call(name, arguments):
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}}
            response = await rest.post("/mcp/", json=body, headers=raw_headers)
            assert response.status_code == 200 and "result" in response.json(), response.text
            return response.json()["result"]["structuredContent"]

        async def raw_compat(pair):
            return (await raw_call("check_compatibility", {"ps_number": pair[0], "model_number": pair[1]}))[
                "compatible"
            ]

        async def raw_search(q):
            return [r["psNumber"] for r in (await raw_call("search_parts", {"query": q, "limit": 10}))["results"]]

        async def rest_search(q):
            response = await rest.get("/api/catalog/search", params={"q": q, "limit": 10})
            assert response.status_code == 200, response.text
            return [r["psNumber"] for r in response.json()["results"]]

        async def mcp_search(q):
            result = await mcp.call_tool("search_parts", {"query": q, "limit": 10})
            assert not result.is_error, result.content
            return [r["psNumber"] for r in result.structured_content["results"]]

        # The first search builds the server's in-process search index over the whole catalogue.
        t0 = time.perf_counter()
        await rest_search("warm up the index")
        print(f"search index built in {time.perf_counter() - t0:.0f}s")
        for label, items, rest_call, mcp_call, raw in (
            ("compatibility", pairs, rest_compat, mcp_compat, raw_compat),
            ("search", texts, rest_search, mcp_search, raw_search),
        ):
            for item in items[:WARMUP]:
                await rest_call(item)
                await mcp_call(item)
                await raw(item)
            rest_times, mcp_times, raw_times, same = [], [], [], 0
            for item in items:
                t0 = time.perf_counter()
                rest_answer = await rest_call(item)
                t1 = time.perf_counter()
                mcp_answer = await mcp_call(item)
                t2 = time.perf_counter()
                raw_answer = await raw(item)
                t3 = time.perf_counter()
                rest_times.append(t1 - t0)
                mcp_times.append(t2 - t1)
                raw_times.append(t3 - t2)
                same += rest_answer == mcp_answer == raw_answer
            figures[f"{label}: MCP tool call"] = latency_figures(mcp_times)
            figures[f"{label}: MCP server only (bare JSON-RPC POST)"] = latency_figures(raw_times)
            figures[f"{label}: REST GET"] = latency_figures(rest_times)
            # Both doors run the same catalogue code: every answer must agree.
            figures[f"{label}: MCP and REST agree"] = {"same_answers": same, "n": len(items)}
            assert same == len(items), f"{label}: {len(items) - same} answers differ between MCP and REST"
    return figures


def main() -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    with LiveStack(database="sqlite") as stack:
        if PARTS:
            t0 = time.perf_counter()
            stack.run_manage(
                "generate_catalog", "--parts", str(PARTS), "--models", "2000", "--no-progress", timeout=1800
            )
            print(f"catalogue generated in {time.perf_counter() - t0:.0f}s")
        key = stack.run_manage(
            "shell",
            "-v",
            "0",
            "-c",
            "from agentic.models import AgentPlatform; from agentic.services.auth import api_key_issue; "
            "p = AgentPlatform.objects.create(name='Bench', slug='bench'); print(api_key_issue(platform=p)[1])",
        ).split()[-1]
        os.environ.update({"DATABASE_URL": stack.database_url, "DJANGO_SETTINGS_MODULE": "config.settings.local"})
        import django

        django.setup()
        from catalog.models import Product

        total = Product.objects.count()
        pairs = pairs_from_catalogue(N)
        texts = queries(N)
        figures = asyncio.run(measure(stack, key, pairs, texts))
        for name, stats in figures.items():
            if "p95_ms" in stats:
                print(f"{name}: p50={stats['p50_ms']:.2f}ms p95={stats['p95_ms']:.2f}ms")
            else:
                print(f"{name}: {stats['same_answers']}/{stats['n']}")
        write_result(
            "mcp",
            figures,
            environment(db="sqlite", parts=total, server="daphne, 1 process"),
            method={
                "calls_per_figure": N,
                "warmup": WARMUP,
                "concurrency": 1,
                "order": "interleaved per item: REST, MCP (SDK client), bare JSON-RPC POST",
                "mcp_client": "official mcp SDK Client, Streamable HTTP, stateless JSON server",
                "rest_client": "httpx.AsyncClient, keep-alive",
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

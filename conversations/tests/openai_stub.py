"""A local OpenAI-compatible HTTP server for tests: chat completions (plain and streamed SSE,
with tool calls) and embeddings. Each test scripts the turns the "model" takes."""

from __future__ import annotations

import hashlib
import json
import time

from core.testing.http_stub import LocalServer, QuietHandler


class Turn:
    """One completion: text (streamed in pieces), tool calls, or an HTTP error status."""

    def __init__(
        self,
        text: str = "",
        tool_calls: list[tuple[str, dict]] | None = None,
        status: int = 200,
        prompt_tokens: int = 50,
        completion_tokens: int = 20,
        delay: float = 0.0,
    ):
        self.text = text
        self.tool_calls = tool_calls or []
        self.status = status
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.delay = delay


class OpenAIStub(LocalServer):
    def __init__(self):
        self.turns: list[Turn] = []
        self.requests: list[dict] = []
        self.embedding_requests: list[dict] = []
        stub = self

        class Handler(QuietHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path.endswith("/embeddings"):
                    stub.embedding_requests.append(body)
                    return self.reply_json(200, stub.embeddings(body))
                if not self.path.endswith("/chat/completions"):
                    return self.reply_json(404, {"error": {"message": "not found"}})
                stub.requests.append(body)
                turn = stub.turns.pop(0) if stub.turns else Turn(text="(no scripted turn)")
                if turn.delay:
                    time.sleep(turn.delay)
                if turn.status != 200:
                    return self.reply_json(
                        turn.status, {"error": {"message": "scripted failure", "type": "server_error"}}
                    )
                if body.get("stream"):
                    return self._stream(turn)
                return self.reply_json(200, stub.completion(turn))

            def _stream(self, turn: Turn):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in stub.chunks(turn):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        super().__init__(Handler)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @staticmethod
    def _base(kind="chat.completion.chunk"):
        return {"id": "chatcmpl-stub", "object": kind, "created": 1700000000, "model": "stub-model"}

    def chunks(self, turn: Turn):
        yield {
            **self._base(),
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}],
        }
        words = turn.text.split(" ") if turn.text else []
        for i, word in enumerate(words):
            piece = word if i == 0 else " " + word
            yield {**self._base(), "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
        for index, (name, arguments) in enumerate(turn.tool_calls):
            raw = json.dumps(arguments)
            half = len(raw) // 2
            yield {
                **self._base(),
                "choices": [
                    {
                        "index": 0,
                        "delta": {
                            "tool_calls": [
                                {
                                    "index": index,
                                    "id": f"call_{index}",
                                    "type": "function",
                                    "function": {"name": name, "arguments": raw[:half]},
                                }
                            ]
                        },
                        "finish_reason": None,
                    }
                ],
            }
            yield {
                **self._base(),
                "choices": [
                    {
                        "index": 0,
                        "delta": {"tool_calls": [{"index": index, "function": {"arguments": raw[half:]}}]},
                        "finish_reason": None,
                    }
                ],
            }
        finish = "tool_calls" if turn.tool_calls else "stop"
        yield {**self._base(), "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
        yield {
            **self._base(),
            "choices": [],
            "usage": {
                "prompt_tokens": turn.prompt_tokens,
                "completion_tokens": turn.completion_tokens,
                "total_tokens": turn.prompt_tokens + turn.completion_tokens,
            },
        }

    def completion(self, turn: Turn):
        message = {"role": "assistant", "content": turn.text or None}
        if turn.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                for i, (n, a) in enumerate(turn.tool_calls)
            ]
        return {
            **self._base("chat.completion"),
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if turn.tool_calls else "stop"}],
            "usage": {
                "prompt_tokens": turn.prompt_tokens,
                "completion_tokens": turn.completion_tokens,
                "total_tokens": turn.prompt_tokens + turn.completion_tokens,
            },
        }

    @staticmethod
    def embeddings(body):
        inputs = body.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        data = []
        for i, text in enumerate(inputs):
            # A deterministic bag-of-words vector: texts sharing words are close.
            vector = [0.0] * 64
            for word in str(text).lower().split():
                vector[int(hashlib.md5(word.strip(".,").encode()).hexdigest(), 16) % 64] += 1.0
            data.append({"object": "embedding", "index": i, "embedding": vector})
        return {
            "object": "list",
            "data": data,
            "model": body.get("model"),
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }

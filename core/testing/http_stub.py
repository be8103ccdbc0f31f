"""Stand-ins for other systems in tests (Stripe, WhatsApp's Cloud API, an OpenAI-compatible
server, a platform that receives webhooks, a shop that embeds the widget): a threaded HTTP
server on 127.0.0.1, and a request handler that answers in one call and logs nothing."""

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass  # a stand-in's access log is noise in the test's output

    def reply(self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None):
        # A caller that gave up waiting (a slowed stand-in, a client timeout) is not answered.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def reply_json(self, status: int, payload, headers: dict | None = None):
        self.reply(status, json.dumps(payload).encode(), headers=headers)


class LocalServer:
    """Serves `handler` on 127.0.0.1 (`port` 0: any free one) from a daemon thread, between
    `start()` and `stop()`, or as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, port: int = 0):
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

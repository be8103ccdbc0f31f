"""A local HTTP server that answers like the WhatsApp Cloud API's /messages endpoint."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class WhatsAppStub:
    """Records every request; `respond_with` sets the status and body, `delay` makes it slow."""

    def __init__(self):
        self.requests: list[dict] = []
        self.respond_with: tuple[int, dict] | None = None
        self.delay = 0.0
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                with stub.lock:
                    stub.requests.append({"path": self.path, "headers": dict(self.headers), "json": body})
                    number = len(stub.requests)
                if stub.delay:
                    time.sleep(stub.delay)
                if stub.respond_with:
                    status, payload = stub.respond_with
                else:
                    status = 200
                    payload = {
                        "messaging_product": "whatsapp",
                        "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                        "messages": [{"id": f"wamid.stub{number}"}],
                    }
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def texts(self) -> list[str]:
        """What each message said: a text's body, an interactive message's body, a template's parameter."""
        return [self.text_of(request["json"]) for request in self.requests]

    @staticmethod
    def text_of(body: dict) -> str:
        if body.get("type") == "interactive":
            return body["interactive"]["body"]["text"]
        if body.get("type") == "template":
            return body["template"]["components"][0]["parameters"][0]["text"]
        return body["text"]["body"]

    def bodies(self) -> list[dict]:
        return [request["json"] for request in self.requests]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

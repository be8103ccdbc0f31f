"""A local HTTP server that answers like the WhatsApp Cloud API's /messages endpoint."""

import json
import threading
import time

from core.testing.http_stub import LocalServer, QuietHandler


class WhatsAppStub(LocalServer):
    """Records every request; `respond_with` sets the status and body, `delay` makes it slow."""

    def __init__(self):
        self.requests: list[dict] = []
        self.respond_with: tuple[int, dict] | None = None
        self.delay = 0.0
        self.lock = threading.Lock()
        stub = self

        class Handler(QuietHandler):
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
                self.reply_json(status, payload)

        super().__init__(Handler)
        self.server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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

"""A local HTTP server that answers like Stripe's API, for the real `stripe` SDK to talk to."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StripeStub:
    def __init__(self):
        self.requests: list[dict] = []
        self.fail_with: tuple[int, dict] | None = None
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                form = urllib.parse.parse_qs(body)
                stub.requests.append({"path": self.path, "headers": dict(self.headers), "form": form})
                if stub.fail_with:
                    status, payload = stub.fail_with
                else:
                    status, payload = 200, stub.session_for(form)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Request-Id", "req_stub")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def session_for(self, form: dict) -> dict:
        quantity = int(form["line_items[0][quantity]"][0])
        unit = int(form["line_items[0][price_data][unit_amount]"][0])
        number = len(self.requests)
        return {
            "id": f"cs_test_stub{number}",
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/cs_test_stub{number}",
            "amount_total": unit * quantity,
            "currency": form["line_items[0][price_data][currency]"][0],
            "mode": form["mode"][0],
            "status": "open",
            "payment_status": "unpaid",
            "client_reference_id": form["client_reference_id"][0],
        }

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

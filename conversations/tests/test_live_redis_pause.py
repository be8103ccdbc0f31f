"""No silent gaps through a stalled broker: Redis is paused (`CLIENT PAUSE … ALL`, the effect of
`DEBUG SLEEP`, which this server refuses) while messages are sent in several conversations, and
every still-connected client ends with every message the database holds.

The clients apply the gap rule of chat-core.js (README, "WebSocket protocol"): each frame's `seq`
above the last contiguous seq, or a `resync` frame, asks for `history` after it. The test prints
how many messages never arrived live (as frames) and how many were still missing after the rule.

It pauses the whole Redis server, for everyone on the machine: keep PAUSE_SECONDS short.
"""

import json
import threading
import time

import httpx
import pytest
import redis
from websockets.sync.client import connect

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

CONVERSATIONS = 4
MESSAGES_EACH = 6  # each is answered: two stored messages per send
PAUSE_SECONDS = 4
QUESTIONS = ["Is PS11750057 in stock?", "How much is PS12584610?", "Do you sell a dishwasher rack?"]


class GapRuleClient:
    """A connected chat client keeping chat-core.js's bookkeeping: the seqs it has, and a
    `history` request after the last contiguous one whenever a frame shows it is behind."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.contiguous = 0
        self.ahead: set[int] = set()
        self.live: set[int] = set()  # seqs that arrived as pushed message frames
        self.fetching = False
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def record(self, seq) -> None:
        if not isinstance(seq, int) or seq <= self.contiguous:
            return
        self.ahead.add(seq)
        while self.contiguous + 1 in self.ahead:
            self.contiguous += 1
            self.ahead.discard(self.contiguous)

    def fetch_missed(self) -> None:
        if not self.fetching:
            self.fetching = True
            self.ws.send(json.dumps({"type": "history", "after_seq": self.contiguous}))

    def run(self) -> None:
        self.fetch_missed()  # what was said between the conversation's start and this socket
        while not self.stop.is_set():
            try:
                frame = json.loads(self.ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            except Exception:  # the socket closed: the test's counts say what that cost
                return
            kind = frame.get("type")
            if kind == "history":
                before = self.contiguous
                for message in frame["messages"]:
                    self.record(message["seq"])
                self.fetching = False
                if self.ahead and self.contiguous > before:
                    self.fetch_missed()
                continue
            message = frame.get("message")
            if isinstance(message, dict) and isinstance(message.get("seq"), int):
                self.live.add(message["seq"])
                self.record(message["seq"])
            seq = frame.get("seq")
            if kind == "resync" or (isinstance(seq, int) and seq > self.contiguous):
                self.fetch_missed()


def test_messages_sent_while_redis_is_paused_all_reach_connected_clients(live_postgres_redis):
    stack = live_postgres_redis
    http = httpx.Client(base_url=stack.base_url, timeout=60)
    conversations = [http.post("/api/chat/conversations", json={"channel": "web"}).json() for _ in range(CONVERSATIONS)]
    sockets = [connect(stack.ws_url + c["wsUrl"], origin=stack.base_url, open_timeout=20) for c in conversations]
    clients = [GapRuleClient(ws) for ws in sockets]
    for client in clients:
        client.thread.start()

    failures: list[str] = []

    def send_all(conversation) -> None:
        sender = httpx.Client(base_url=stack.base_url, timeout=60)
        auth = {"Authorization": f"Bearer {conversation['token']}"}
        for n in range(MESSAGES_EACH):
            response = sender.post(
                f"/api/chat/conversations/{conversation['id']}/messages",
                json={"content": QUESTIONS[n % len(QUESTIONS)], "client_message_id": f"pause-{n}"},
                headers=auth,
            )
            if response.status_code != 201:
                failures.append(f"{response.status_code} {response.text[:200]}")
            time.sleep(0.4)

    senders = [threading.Thread(target=send_all, args=(c,)) for c in conversations]
    for sender in senders:
        sender.start()
    time.sleep(1.0)  # some messages before the pause, some during, some after
    pauser = redis.Redis.from_url(stack.redis_url)
    pauser.execute_command("CLIENT", "PAUSE", int(PAUSE_SECONDS * 1000), "ALL")
    pauser.close()
    for sender in senders:
        sender.join(timeout=120)
    assert failures == []

    stored = {}
    for conversation in conversations:
        auth = {"Authorization": f"Bearer {conversation['token']}"}
        messages = http.get(f"/api/chat/conversations/{conversation['id']}/messages", headers=auth).json()["messages"]
        stored[conversation["id"]] = {m["seq"] for m in messages}
        assert len(messages) == 1 + 2 * MESSAGES_EACH  # the database has them all

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(c.contiguous >= max(stored[conv["id"]]) for c, conv in zip(clients, conversations, strict=True)):
            break
        time.sleep(0.2)
    for client in clients:
        client.stop.set()
        client.thread.join(timeout=5)
        client.ws.close()

    total = sum(len(seqs) for seqs in stored.values())
    never_live = sum(
        len(stored[conv["id"]] - {1} - c.live) for c, conv in zip(clients, conversations, strict=True)
    )  # the welcome (1) was stored before the socket opened
    missing = sum(
        len({s for s in stored[conv["id"]] if s > c.contiguous} - c.ahead)
        for c, conv in zip(clients, conversations, strict=True)
    )
    print(f"redis paused {PAUSE_SECONDS}s: {total} messages, {never_live} never arrived live, {missing} missing")
    assert missing == 0

"""A real HTTP receiver on 127.0.0.1 for the webhook tests: verifies signatures, can be told to fail."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lgcloud.linkage.destinations import DestinationGuard
from lgcloud.linkage.signing import WebhookVerificationError, verify

#: The receiver runs on this host, which webhooks may not reach by default: opened as an operator would for
#: a development deployment (LGCLOUD_WEBHOOK_ALLOW_NETWORKS=127.0.0.1/32).
LOCAL = DestinationGuard.from_setting("127.0.0.1/32")


@dataclass
class Receiver:
    secret: str = ""
    fail_next: int = 0  # answer 503 to this many requests
    always_fail: bool = False
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    requests: int = 0
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.requests += 1
            if self.always_fail or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                return 503
            try:
                msg_id = verify(self.secret, headers, body)
            except WebhookVerificationError as exc:
                self.rejected.append(str(exc))
                return 401
            if msg_id in self.seen_ids:  # idempotency: acknowledge, do not apply twice
                self.duplicates += 1
                return 200
            self.seen_ids.add(msg_id)
            self.accepted.append(json.loads(body))
            return 204


@contextmanager
def running(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            status = receiver.handle(dict(self.headers.items()), body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/lgcloud"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

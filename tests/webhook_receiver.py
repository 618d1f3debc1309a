"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 in a thread of the test's process, which
records every request and answers with the status codes it is given (the last one repeated).

Its `verify` is the Python snippet of docs/webhooks.md, read from the document and run, so the documentation's
receiver is the one the tests check signatures with.
"""

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "webhooks.md"


def documented_verify() -> Callable[..., bool]:
    """The `verify` function of the Python snippet in docs/webhooks.md."""
    snippets = re.findall(r"```python\n(.*?)```", DOCUMENT.read_text(), flags=re.DOTALL)
    assert len(snippets) == 1, "docs/webhooks.md shows one Python snippet"
    namespace: dict[str, Any] = {}
    exec(compile(snippets[0], str(DOCUMENT), "exec"), namespace)
    verify: Callable[..., bool] = namespace["verify"]
    return verify


@dataclass(frozen=True)
class Received:
    path: str
    headers: Message
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next of `statuses` (the last one for ever); `headers` go with every answer.
    Given a `secret`, it checks each request's signature as docs/webhooks.md does first, and answers 401 to one
    that does not verify."""

    statuses: list[int] = field(default_factory=lambda: [200])
    headers: dict[str, str] = field(default_factory=dict)
    secret: str | None = None
    requests: list[Received] = field(default_factory=list)
    refused: int = 0  # requests whose signature did not verify
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    verify: Callable[..., bool] = field(default_factory=lambda: documented_verify())

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            if self.secret is not None and not self.verify(self.secret, received.headers, received.body):
                self.refused += 1
                return 401
            return self.statuses[min(len(self.requests), len(self.statuses)) - 1]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status = receiver.answer(Received(self.path, self.headers, body))
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            answer = b"received" if status < 300 else b"not today"
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet

    return Handler


def serving(receiver: Receiver) -> Iterator[Receiver]:
    """Serve the receiver until the generator is closed (a fixture's body)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

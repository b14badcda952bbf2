"""A real HTTP server on 127.0.0.1 that says which version the service runs.

Its answer (status, content type, body) can be changed between requests, so one
server plays a service that agrees with the tags, then one that disagrees, then one
that answers garbage.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Answer:
    """What the server sends to every GET; change it between requests."""

    body: bytes = b'{"build": {"version": "v1.0.0"}}'
    status: int = 200
    content_type: str = "application/json"
    requests: list[str] = field(default_factory=list)
    """The paths asked for, in order."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        answer = self.server.answer
        answer.requests.append(self.path)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test output is for assertions."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    answer: Answer


@contextmanager
def version_server(answer: Answer | None = None) -> Iterator[tuple[str, Answer]]:
    """Serve `answer` on a free loopback port; yields (base URL, answer) and stops on exit."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.answer = answer or Answer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def silent_server() -> Iterator[str]:
    """A port that accepts connections but never answers (a hung service)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def closed_port_url() -> str:
    """A loopback URL where nothing listens (the port was just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"

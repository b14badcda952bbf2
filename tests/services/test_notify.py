"""Webhooks against real HTTP servers on loopback: flaky, down, slow, and fine."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.waiting import WAIT, eventually
from warroom.services.clock import ManualClock
from warroom.services.config import NotifyConfig
from warroom.services.escalation.notify import NOTIFY_FAILED, Delivery, Notifier, mask_url


class Hook:
    """A webhook receiver that answers 500 to the first `failures` requests.

    With `hold`, every answer waits until `release` is set: a test can then tell a
    sender that waits for the answer from one that does not, with no clock involved.
    """

    def __init__(self, failures: int = 0, status: int = 500, hold: bool = False) -> None:
        self.failures = failures
        self.status = status
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        self.hits = 0
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                with hook.lock:
                    hook.hits += 1
                    failing = hook.hits <= hook.failures
                    if not failing:
                        hook.bodies.append(json.loads(raw))
                        hook.paths.append(self.path)
                hook.release.wait(WAIT)
                code = hook.status if failing else 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return (
            f"http://127.0.0.1:{self.server.server_address[1]}/services/T000/B000/s3cr3t?token=abc"
        )

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    with Hook(failures=2) as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(trust_env=False) as http:
        yield http


def down_url() -> str:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/secret-token"


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, kind: str, payload: dict[str, Any]) -> None:
        self.events.append((kind, payload))


async def test_flaky_server_gets_the_message_after_retries(
    hook: Hook, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    record = Recorder()
    results: list[Delivery] = []
    notifier = Notifier(
        [NotifyConfig(url=hook.url, format="json")],
        client,
        clock,
        record,
        incident="INC-7",
        attempts=4,
        base_delay=0.01,
        on_result=results.append,
    )
    await notifier.send("escalation", "Escalate: call Senior engineer", {"level": 1})
    delivered = await notifier.drain()
    assert [(d.ok, d.attempts, d.status_code) for d in delivered] == [(True, 3, 200)]
    assert results == delivered
    assert hook.hits == 3
    assert hook.bodies == [
        {
            "event": "escalation",
            "incident": "INC-7",
            "at": "2026-01-01T00:00:00+00:00",
            "text": "Escalate: call Senior engineer",
            "fields": {"level": 1},
        }
    ]
    assert record.events == []
    assert notifier.last_failure is None


async def test_server_failing_every_time_is_recorded_with_url_masked(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    record = Recorder()
    with Hook(failures=100) as hook:
        notifier = Notifier(
            [NotifyConfig(url=hook.url)], client, clock, record, attempts=3, base_delay=0.01
        )
        await notifier.send("status", "all good", {})
        (delivery,) = await notifier.drain()
    assert hook.hits == 3
    assert not delivery.ok and delivery.error == "HTTP 500" and delivery.attempts == 3
    assert notifier.last_failure == delivery
    ((kind, payload),) = record.events
    assert kind == NOTIFY_FAILED
    assert payload["event"] == "status"
    assert payload["attempts"] == 3
    assert "s3cr3t" not in json.dumps(payload) and "abc" not in json.dumps(payload)
    assert payload["url"].startswith("http://127.0.0.1:")


async def test_client_error_is_not_retried(client: httpx.AsyncClient, clock: ManualClock) -> None:
    with Hook(failures=100, status=404) as hook:
        notifier = Notifier([NotifyConfig(url=hook.url)], client, clock, attempts=4, base_delay=0)
        await notifier.send("status", "x", {})
        (delivery,) = await notifier.drain()
    assert hook.hits == 1
    assert delivery.error == "HTTP 404"


async def test_server_down_is_a_failure_value_not_an_exception(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    record = Recorder()
    url = down_url()
    notifier = Notifier([NotifyConfig(url=url)], client, clock, record, base_delay=0.01)
    await notifier.send("rollback", "rolling back", {"to": "v1.4.2"})
    (delivery,) = await notifier.drain()
    assert not delivery.ok
    assert delivery.attempts == 4
    assert delivery.status_code is None
    assert delivery.error.startswith("ConnectError")
    assert "secret-token" not in delivery.error
    assert record.events[0][0] == NOTIFY_FAILED
    assert "secret-token" not in json.dumps(record.events)


async def test_send_returns_before_a_slow_webhook_answers(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    with Hook(hold=True) as hook:
        notifier = Notifier([NotifyConfig(url=hook.url)], client, clock)
        await notifier.send("deploy", "deployed", {})
        # The hook has not answered (it holds until released), yet send is back.
        assert notifier.pending == 1
        hook.release.set()
        (delivery,) = await notifier.drain()
    assert delivery.ok and notifier.pending == 0


async def test_slack_payload_shape_and_escaping(
    hook: Hook, client: httpx.AsyncClient, clock: ManualClock
) -> None:
    hook.failures = 0
    notifier = Notifier([NotifyConfig(url=hook.url, format="slack")], client, clock)
    await notifier.send(
        "status", "All clear <!channel> & done", {"Phase": "Watch", "Health": "3/3"}
    )
    await notifier.drain()
    (body,) = hook.bodies
    assert body["text"] == "All clear &lt;!channel&gt; &amp; done"
    assert body["blocks"][0] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "All clear &lt;!channel&gt; &amp; done"},
    }
    assert body["blocks"][1]["fields"] == [
        {"type": "mrkdwn", "text": "*Phase*\nWatch"},
        {"type": "mrkdwn", "text": "*Health*\n3/3"},
    ]
    assert hook.paths == ["/services/T000/B000/s3cr3t?token=abc"]


async def test_only_subscribed_webhooks_are_told(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    with Hook() as deploys, Hook() as everything:
        notifier = Notifier(
            [
                NotifyConfig(url=deploys.url, events=["deploy", "rollback"]),
                NotifyConfig(url=everything.url),
            ],
            client,
            clock,
        )
        await notifier.send("escalation", "call the manager", {})
        await notifier.send("deploy", "deployed v1.4.3", {})
        await notifier.drain()
    assert [b["event"] for b in deploys.bodies] == ["deploy"]
    assert sorted(b["event"] for b in everything.bodies) == ["deploy", "escalation"]


async def test_close_cancels_retries_in_flight(
    client: httpx.AsyncClient, clock: ManualClock
) -> None:
    with Hook(failures=10) as hook:
        notifier = Notifier([NotifyConfig(url=hook.url)], client, clock, base_delay=30)
        await notifier.send("status", "x", {})
        # The first attempt failed; the retry waits 30 s, which close must not wait out.
        await eventually(lambda: hook.hits == 1, "the first attempt")
        await asyncio.wait_for(notifier.aclose(), WAIT)
    assert notifier.pending == 0
    assert hook.hits == 1


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("https://hooks.slack.com/services/T0/B0/XYZ", "https://hooks.slack.com/…"),
        ("https://user:pw@example.com:8443/x?token=1", "https://example.com:8443/…"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("http://example.com/", "http://example.com"),
        ("http://example.com?key=1", "http://example.com/…"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked

"""`warroom check` against real loopback servers, from a real config text."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from warroom.services.config import parse_config
from warroom.services.health.status import ProbeState, Reason
from warroom.tui.headless.check import (
    CheckReport,
    EndpointCheck,
    MetricCheck,
    exit_code,
    format_table,
    report_to_json,
    run_check,
)


@asynccontextmanager
async def service() -> AsyncIterator[tuple[int, list[int]]]:
    """A tiny production service: /health is fine, /metrics counts requests per call."""
    calls = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /metrics "):
                    calls[0] += 1
                    body = (
                        "# TYPE requests_total counter\n"
                        f'requests_total{{code="200"}} {calls[0] * 100}\n'
                        f'requests_total{{code="500"}} {calls[0] * 5}\n'
                    ).encode()
                else:
                    body = b'{"status": "pass"}'
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()  # a cancelled handler must end quietly on Python 3.11

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1], calls
    finally:
        server.close()


def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def config_text(port: int, dead: int) -> str:
    return f"""
[[endpoint]]
name = "health"
url = "http://127.0.0.1:{port}/health"
health_json = true
timeout = "300ms"

[[endpoint]]
name = "legacy"
url = "http://127.0.0.1:{dead}/"
timeout = "300ms"
headers = {{ Authorization = "Bearer ${{env:TOKEN}}" }}

[[metric]]
name = "errors"
source = "prometheus"
url = "http://127.0.0.1:{port}/metrics"
metric = "requests_total"
labels = {{ code = "~5.." }}
rate = true

[[metric]]
name = "requests"
source = "prometheus"
url = "http://127.0.0.1:{port}/metrics"
metric = "requests"
rate = true

[[metric]]
name = "error rate"
source = "ratio"
numerator = "errors"
denominator = "requests"
scale = 100
unit = "%"
crit = 10

[[metric]]
name = "response time"
source = "health"
endpoint = "health"
unit = "ms"

[[metric]]
name = "memory"
source = "psutil"
query = "memory"
unit = "%"
"""


async def test_check_probes_everything_once() -> None:
    async with service() as (port, calls):
        config = parse_config(config_text(port, closed_port()), "t.toml", {"TOKEN": "s3cr3t"})
        report = await run_check(config, rate_gap=0.2)
    assert calls[0] == 2  # one scrape per page reading; rates read twice
    by_name = {e.name: e for e in report.endpoints}
    assert by_name["health"].state is ProbeState.UP
    assert by_name["legacy"].state is ProbeState.DOWN  # one failure is enough here
    assert by_name["legacy"].reason is Reason.REFUSED
    metrics = {m.name: m for m in report.metrics}
    assert metrics["error rate"].value == pytest.approx(100 * 5 / 105)
    assert metrics["error rate"].state == "ok"
    assert metrics["response time"].value is not None
    assert metrics["memory"].value is not None
    assert exit_code(report) == 1

    doc = report_to_json(report)
    assert json.loads(json.dumps(doc)) == doc
    assert "s3cr3t" not in json.dumps(doc)
    assert set(doc) == {"endpoints", "metrics", "verdict"}
    assert doc["endpoints"][1] == {
        "name": "legacy",
        "state": "DOWN",
        "reason": "refused",
        "status_code": None,
        "latency_ms": None,
    }
    assert set(doc["metrics"][0]) == {"name", "value", "unit", "state", "trend", "change"}

    table = format_table(report)
    assert "✖ DOWN" in table and "refused" in table and "✔ UP" in table
    assert "error rate" in table and "s3cr3t" not in table
    # One reading has no direction: the trend column says so, it does not guess.
    assert "TREND" in table and metrics["memory"].change is None


def test_trend_column_shows_the_arrow_and_signed_change() -> None:
    rising = MetricCheck("p95", 420.0, "ms", "warn", "", 120.0, "up")
    falling = MetricCheck("errors", 1.5, "%", "ok", "", -3.25, "down")
    single = MetricCheck("memory", 40.0, "%", "ok", "")
    rows = {
        line.split()[0]: line
        for line in format_table(CheckReport((), (rising, falling, single), AT)).splitlines()
    }
    assert "↑ +120" in rows["p95"] and "↓ −3.2" in rows["errors"]
    assert rows["memory"].split()[3] == "--"


def ep(state: ProbeState) -> EndpointCheck:
    return EndpointCheck("e", state, None, 200, 1.0, "")


def mc(state: str) -> MetricCheck:
    return MetricCheck("m", 1.0, "", state, "")  # type: ignore[arg-type]


AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("endpoints", "metrics", "code"),
    [
        ((), (), 0),
        ((ep(ProbeState.UP), ep(ProbeState.UP)), (), 0),
        ((ep(ProbeState.UP), ep(ProbeState.DOWN)), (), 1),
        ((ep(ProbeState.WARN),), (), 1),
        ((ep(ProbeState.UP),), (mc("ok"), mc("warn"), mc("unknown")), 0),
        ((ep(ProbeState.UP),), (mc("crit"),), 1),
    ],
)
def test_exit_code(
    endpoints: tuple[EndpointCheck, ...], metrics: tuple[MetricCheck, ...], code: int
) -> None:
    assert exit_code(CheckReport(endpoints, metrics, AT)) == code


def test_empty_table_says_so() -> None:
    assert "nothing to check" in format_table(CheckReport((), (), AT))

"""`warroom check` judges the gates: the real CLI against a real loopback service."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Service:
    """What the fake production service answers; tests change it while it runs."""

    port: int = 0
    error_rate: float = 0.4
    health_status: int = 200


@asynccontextmanager
async def service() -> AsyncIterator[Service]:
    """/health answers `health_status`; /stats is JSON holding the error rate."""
    state = Service()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /stats "):
                    status, body = 200, json.dumps({"errors": {"rate": state.error_rate}}).encode()
                else:
                    status, body = state.health_status, b"ok"
                writer.write(
                    b"HTTP/1.1 %d X\r\ncontent-length: %d\r\n\r\n" % (status, len(body)) + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    state.port = server.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        server.close()


def write_config(
    tmp_path: Path, port: int, verdict: str, interval: str = "5s", timeout: str = "150ms"
) -> Path:
    path = tmp_path / "warroom.toml"
    path.write_text(
        f"""
[[endpoint]]
name = "api"
url = "http://127.0.0.1:{port}/health"
interval = "{interval}"
timeout = "{timeout}"
{verdict.split("|")[0]}

[[metric]]
name = "Error rate"
source = "json"
url = "http://127.0.0.1:{port}/stats"
path = "errors.rate"
unit = "%"
crit = 5
interval = "{interval}"
{verdict.split("|")[1]}

[actions]
gates = ["api", "Error rate"]
""",
        encoding="utf-8",
    )
    return path


async def warroom(*args: str, cwd: Path) -> tuple[int, str, str]:
    """Run the real CLI; its process group ends with the test, whatever happens."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "warroom", *args,
        cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        start_new_session=True, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


ONE_SAMPLE = (
    '[endpoint.verdict]\nmin_samples = 1\nwindow = "1s"'
    '|[metric.verdict]\nmin_samples = 1\nwindow = "1s"'
)
"""Endpoint and metric verdict tables (split at |) that judge a single reading."""


async def test_check_json_fails_a_bad_gate_with_its_numbers(tmp_path: Path) -> None:
    async with service() as svc:
        svc.error_rate = 8.6
        config = write_config(tmp_path, svc.port, ONE_SAMPLE)
        code, out, err = await warroom("check", "--json", "--config", str(config), cwd=tmp_path)
    assert code == 1, err
    verdict = json.loads(out)["verdict"]
    assert verdict["outcome"] == "Fail"
    assert verdict["summary"].startswith("Fail: Error rate 8.6% > 5% over ")
    by_name = {c["name"]: c for c in verdict["criteria"]}
    assert {k: by_name["Error rate"][k] for k in ("value", "threshold", "window", "samples")} == {
        "value": 8.6, "threshold": 5.0, "window": 1.0, "samples": 1,
    }  # fmt: skip
    assert by_name["Error rate"]["outcome"] == "Fail"
    # The healthy endpoint has its one probe, but a pass needs the whole window.
    assert (by_name["api"]["outcome"], by_name["api"]["samples"]) == ("Inconclusive", 1)


async def test_one_check_cannot_pass_with_too_few_samples(tmp_path: Path) -> None:
    async with service() as svc:
        config = write_config(tmp_path, svc.port, "|")
        code, out, err = await warroom("check", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    verdict_line = next(line for line in out.splitlines() if line.startswith("VERDICT"))
    assert verdict_line.startswith("VERDICT  Inconclusive: api 100% = 100% success over ")
    assert verdict_line.endswith("(1 probe, 5 needed); and 1 more")
    assert "Error rate 0.4% < 5% over" in out


async def test_check_for_a_while_passes_a_healthy_service(tmp_path: Path) -> None:
    # Deadlines generous enough for a machine with both cores busy: a slow probe
    # would be a real failure, and this test is about a healthy service passing.
    verdict = (
        '[endpoint.verdict]\nmin_samples = 2\nwindow = "2s"'
        '|[metric.verdict]\nmin_samples = 2\nwindow = "2s"\nbaseline = false'
    )
    async with service() as svc:
        config = write_config(tmp_path, svc.port, verdict, interval="500ms", timeout="450ms")
        code, out, err = await warroom(
            "check", "--json", "--for", "4s", "--config", str(config), cwd=tmp_path
        )
    assert code == 0, err
    document = json.loads(out)["verdict"]
    assert document["outcome"] == "Pass", document
    assert document["summary"] == "Pass: 2 of 2 critical criteria held"
    for criterion in document["criteria"]:
        assert criterion["samples"] >= 2
        assert criterion["window"] == 2.0


async def test_check_for_a_while_fails_when_the_endpoint_goes_down(tmp_path: Path) -> None:
    async with service() as svc:
        svc.health_status = 503
        config = write_config(tmp_path, svc.port, ONE_SAMPLE, interval="200ms")
        code, out, err = await warroom(
            "check", "--json", "--for", "1s", "--config", str(config), cwd=tmp_path
        )
    assert code == 1, err
    verdict = json.loads(out)["verdict"]
    api = next(c for c in verdict["criteria"] if c["name"] == "api")
    assert (api["outcome"], api["value"], api["threshold"]) == ("Fail", 0.0, 100.0)
    assert verdict["outcome"] == "Fail"


@pytest.mark.parametrize("bad", ["soon", "0s"])
async def test_a_bad_duration_is_one_line(tmp_path: Path, bad: str) -> None:
    code, out, err = await warroom("check", "--for", bad, cwd=tmp_path)
    assert code == 2
    assert "--for" in err and "Traceback" not in err
    assert out == ""

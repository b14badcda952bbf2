"""A probe's request, built once per endpoint, is the request the shared client would build."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.services.test_health import ep, response, serve
from warroom.services.config import EndpointConfig
from warroom.services.health.client import make_client
from warroom.services.health.probe_request import NO_TIMEOUTS, probe_request


async def _trace(event: str, info: dict[str, Any]) -> None:
    """A trace hook; the request carries it to the transport."""


ENDPOINTS = [
    ep("http://127.0.0.1:1/health"),
    ep("http://127.0.0.1:1/health?deep=1", method="HEAD"),
    ep("http://127.0.0.1:1/login", method="POST"),
    ep("http://127.0.0.1:1/login", method="POST", json={"user": "smoke"}),
    ep("http://localhost:1/x", headers={"User-Agent": "custom", "Authorization": "Bearer t"}),
    ep("http://127.0.0.1:1/x", headers={"Host": "svc.internal", "Accept-Encoding": "identity"}),
]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: f"{e.method} {e.url} {e.headers}")
async def test_same_request_as_the_client_builds(endpoint: EndpointConfig) -> None:
    async with make_client([endpoint]) as client:
        built = client.build_request(
            endpoint.method,
            endpoint.url,
            headers=endpoint.headers,
            json=endpoint.json_body,
            timeout=None,
            extensions={"trace": _trace},
        )
        for _ in range(2):  # the first builds the parts, the second reuses them
            ours = probe_request(
                client, endpoint.method, endpoint.url, endpoint.headers, endpoint.json_body, _trace
            )
            assert (ours.method, ours.url, ours.headers.raw) == (
                built.method,
                built.url,
                built.headers.raw,
            )
            assert ours.content == built.content
            assert ours.extensions == built.extensions
            assert ours.extensions["timeout"] == NO_TIMEOUTS


async def test_the_cookie_jar_and_the_client_headers_are_read_on_every_probe() -> None:
    heads: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(response(200, b"ok"))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async with serve(record) as port:
        endpoint = ep(f"http://127.0.0.1:{port}/")
        async with make_client([endpoint]) as client:

            async def send() -> None:
                request = probe_request(client, "GET", endpoint.url, {}, None, _trace)
                answer = await client.send(request)
                assert answer.text == "ok"

            await send()
            client.headers["X-Shift"] = "night"
            await send()
            client.cookies.set("sid", "abc", domain="127.0.0.1")
            await send()
            client.cookies.clear()
            await send()
    assert [b"x-shift" in h.lower() for h in heads] == [False, True, True, True]
    assert [b"cookie: sid=abc" in h.lower() for h in heads] == [False, False, True, False]


async def test_changing_one_request_leaves_the_next_as_built() -> None:
    async with make_client([]) as client:
        first = probe_request(client, "GET", "http://127.0.0.1:1/", {}, None, _trace)
        first.headers["X-Once"] = "1"
        first.extensions["timeout"]["read"] = 5.0
        second = probe_request(client, "GET", "http://127.0.0.1:1/", {}, None, _trace)
    assert "X-Once" not in second.headers
    assert second.extensions["timeout"] == NO_TIMEOUTS == httpx.Timeout(None).as_dict()


async def test_a_relative_url_is_joined_to_the_client_base_url_as_the_client_joins_it() -> None:
    async with make_client([]) as client:
        client.base_url = httpx.URL("http://127.0.0.1:1/api/")
        built = client.build_request("GET", "health", extensions={"trace": _trace})
        ours = probe_request(client, "GET", "health", {}, None, _trace)
    assert ours.url == built.url == httpx.URL("http://127.0.0.1:1/api/health")
    assert ours.headers.raw == built.headers.raw

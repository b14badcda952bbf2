"""PromQL: a figure asked of a Prometheus server over its HTTP API.

A `source = "promql"` metric names the server (`url`) and a PromQL `query` that must
give one number. Each interval asks `/api/v1/query` (an instant query); once, at start,
`/api/v1/query_range` fills the graph's window with history, so a graph, a trend and a
baseline have their past at once instead of after hours of watching.

Everything that can go wrong is a `PromQLError` with a one-line reason for the graph:
the server unreachable or slow, an HTTP error, Prometheus' own `status: "error"` (with
its `errorType` and message), a query that gives no series ("no data: ..."), several
series, a range vector, or NaN. The server's URL often carries a token taken from the
environment; messages name the server without its query string, and are masked as
every `PrometheusError` is.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from warroom.services.metrics.prometheus import PrometheusError
from warroom.services.sanitize import clean

BODY_CAP = 8 * 1024 * 1024
"""Most bytes read from one API answer (a 4-hour range of one series is ~100 KiB)."""
MAX_POINTS = 11_000
"""Prometheus refuses a range query of more points per series than this."""
NO_SERIES = "no data: the query returned no series"


class PromQLError(PrometheusError):
    """A PromQL answer that gives no figure, with the reason the graph shows.

    `transient` is true when the server could not be asked (unreachable, slow, a
    gateway error): asking again later may give another answer. An answer Prometheus
    gave (a bad query, no series) is not transient.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class PromQLServer:
    """One Prometheus server as the config names it: its base URL (a path prefix and a
    query string, e.g. a token, are kept) and the deadline of one request."""

    client: httpx.AsyncClient
    url: str
    timeout: float

    @property
    def shown(self) -> str:
        """The server as messages name it: scheme, host and path, never the query
        string or user info, where credentials live."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
        return clean(urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), 200)

    def endpoint(self, api: str, params: Mapping[str, str]) -> httpx.URL:
        """The URL of `api` ("query", "query_range") under the server's base path, with
        the base URL's own query parameters kept beside `params`."""
        parts = urlsplit(self.url)
        path = parts.path.rstrip("/") + f"/api/v1/{api}"
        base = httpx.URL(urlunsplit((parts.scheme, parts.netloc, path, parts.query, "")))
        return base.copy_merge_params(dict(params))

    async def instant(self, query: str) -> float:
        """The query's one value now (`/api/v1/query`)."""
        data = await self._ask("query", {"query": query, "timeout": _seconds(self.timeout)})
        return instant_value(data)

    async def history(
        self, query: str, start: float, end: float, step: float
    ) -> tuple[tuple[float, float], ...]:
        """The query's values from `start` to `end` (wall seconds) every `step` seconds
        (`/api/v1/query_range`), oldest first; NaN points are left out, as gaps."""
        step = max(step, (end - start) / (MAX_POINTS - 1), 0.001)
        params = {
            "query": query,
            "start": f"{start:.3f}",
            "end": f"{end:.3f}",
            "step": _seconds(step),
            "timeout": _seconds(self.timeout),
        }
        data = await self._ask("query_range", params)
        # A 4-hour matrix is a few thousand points: decoded off the loop all the same.
        return await asyncio.to_thread(range_points, data)

    async def _ask(self, api: str, params: Mapping[str, str]) -> Any:
        """The `data` of one successful API answer; every failure a `PromQLError`."""
        where = self.shown
        try:
            async with (
                asyncio.timeout(self.timeout),
                self.client.stream("GET", self.endpoint(api, params)) as response,
            ):
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > BODY_CAP:
                        raise PromQLError(f"{where}: answer over {BODY_CAP // 1048576} MiB")
                status = response.status_code
        except TimeoutError:
            raise PromQLError(
                f"{where}: no answer within {self.timeout:g}s", transient=True
            ) from None
        except httpx.ConnectError:
            raise PromQLError(f"{where}: cannot connect", transient=True) from None
        except httpx.HTTPError as exc:
            raise PromQLError(f"{where}: {type(exc).__name__}", transient=True) from None
        return answer_data(bytes(body), status, where)


def _seconds(value: float) -> str:
    """A duration as Prometheus reads it ("2.5s")."""
    return f"{value:.3f}".rstrip("0").rstrip(".") + "s"


# --- the API's answers (pure) -----------------------------------------------------------


def answer_data(body: bytes, status: int, where: str) -> Any:
    """The `data` of an API answer, or a `PromQLError` saying why there is none.

    Prometheus answers a bad query with HTTP 400 (or 422, 503) and a JSON body naming
    the error; that body's reason is more use than the status code, so it comes first.
    """
    try:
        doc = json.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("status") == "error":
        kind = clean(str(doc.get("errorType") or "error"), 40)
        reason = clean(str(doc.get("error") or "no reason given"), 240)
        raise PromQLError(f"query error ({kind}): {reason}", transient=status >= 500)
    if status >= 400:
        raise PromQLError(f"{where}: HTTP {status}", transient=status >= 500)
    if not isinstance(doc, dict) or doc.get("status") != "success" or "data" not in doc:
        raise PromQLError(f"{where}: not a Prometheus API answer", transient=True)
    return doc["data"]


def _number(raw: Any) -> float:
    """A sample value as the API writes it: a string ("0.25", "NaN", "+Inf")."""
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise PromQLError(f"not a number: {clean(str(raw), 40)!r}") from None


def _one_series(result: list[Any]) -> Any:
    if not result:
        raise PromQLError(NO_SERIES)
    if len(result) > 1:
        raise PromQLError(
            f"the query returned {len(result)} series; it must give one"
            " (aggregate them, e.g. sum(...))"
        )
    return result[0]


def instant_value(data: Any) -> float:
    """The one number of an instant query's `data` (a vector of one series, or a scalar)."""
    if not isinstance(data, dict):
        raise PromQLError("not a Prometheus API answer")
    kind, result = data.get("resultType"), data.get("result", ())
    try:
        if kind == "scalar":
            value = _number(result[1])  # [time, "value"]
        elif kind == "vector" and isinstance(result, list):
            value = _number(_one_series(result)["value"][1])
        elif kind == "matrix":
            raise PromQLError("the query gives a range vector; ask for one value, e.g. rate(...)")
        else:
            raise PromQLError(f"the query gives a {clean(str(kind), 20)}, not a number")
    except (KeyError, IndexError, TypeError):
        raise PromQLError("not a Prometheus API answer") from None
    if math.isnan(value):
        raise PromQLError("the query's value is NaN (a division by zero?)")
    if math.isinf(value):
        raise PromQLError("the query's value is infinite")
    return value


def range_points(data: Any) -> tuple[tuple[float, float], ...]:
    """(wall seconds, value) of a range query's one series, oldest first; NaN and
    infinite values are left out. No series at all is no history (not an error)."""
    if not isinstance(data, dict):
        raise PromQLError("not a Prometheus API answer")
    result = data.get("result")
    if data.get("resultType") != "matrix" or not isinstance(result, list):
        raise PromQLError("the range query did not give a matrix")
    if not result:
        return ()
    try:
        values = _one_series(result)["values"]
        points = [(float(t), _number(v)) for t, v in values]
    except (KeyError, IndexError, TypeError, ValueError):
        raise PromQLError("not a Prometheus API answer") from None
    return tuple((t, v) for t, v in points if math.isfinite(v))

"""The log filter: words, /regex/, -excludes, invalid input as a value, highlighting."""

from __future__ import annotations

import pytest

from warroom.services.logs.filter import LogFilter


@pytest.mark.parametrize(
    ("expr", "text", "expected"),
    [
        ("", "anything at all", True),
        ("auth", "AUTH failed for bob", True),
        ("auth", "login ok", False),
        ("auth error", "Error: auth token expired", True),
        ("auth error", "auth ok", False),
        ("-healthz", "GET /healthz 200", False),
        ("-healthz", "GET /login 500", True),
        ("auth -debug", "DEBUG auth cache hit", False),
        ("auth -debug", "ERROR auth denied", True),
        ("/5\\d\\d/", "GET /login 503", True),
        ("/5\\d\\d/", "GET /login 200", False),
        ("/user=\\w+ denied/", "user=bob denied access", True),
        ("-/^DEBUG/", "DEBUG noisy", False),
        ("-/^DEBUG/", "INFO fine", True),
        ("/a\\/b/", "path a/b here", True),
        ("/Error/", "error lower", False),
        ("/(?i)Error/", "error lower", True),
        ("/err", "an error", True),  # still being typed: the rest is the regex
        ("-", "a - dash", True),
        ("[bold]", "text [bold]x[/] here", True),
        ("ログイン", "ログイン失敗 user=1", True),
    ],
)
def test_matches(expr: str, text: str, expected: bool) -> None:
    assert LogFilter.parse(expr).matches(text) is expected


@pytest.mark.parametrize(
    ("expr", "message_part"),
    [
        ("/a(/", "invalid regex /a(/"),
        ("auth /[z-a]/", "invalid regex /[z-a]/"),
    ],
)
def test_invalid_regex_is_a_value_and_other_terms_still_apply(expr: str, message_part: str) -> None:
    parsed = LogFilter.parse(expr)
    assert parsed.error is not None
    assert message_part in parsed.error
    assert "\n" not in parsed.error
    assert parsed.matches("auth here")
    if expr.startswith("auth"):
        assert not parsed.matches("nothing")


def test_valid_filter_has_no_error_and_empty_is_empty() -> None:
    assert LogFilter.parse("auth /x+/ -y").error is None
    assert LogFilter.parse("   ").is_empty
    assert LogFilter.parse("//").is_empty
    assert not LogFilter.parse("-x").is_empty


@pytest.mark.parametrize(
    ("expr", "text", "spans"),
    [
        ("", "auth error", []),
        ("auth", "Auth AUTH", [(0, 4), (5, 9)]),
        ("auth error", "error: auth", [(0, 5), (7, 11)]),
        ("auth au", "auth", [(0, 4)]),  # overlapping spans merged
        ("/\\d+/", "code 503 in 12ms", [(5, 8), (12, 14)]),
        ("-auth", "auth", []),  # excludes are not highlighted
        ("İ", "xİy", [(1, 2)]),  # lower-casing changes length: still right offsets
    ],
)
def test_spans(expr: str, text: str, spans: list[tuple[int, int]]) -> None:
    assert LogFilter.parse(expr).spans(text) == spans


def test_filter_is_frozen_and_comparable() -> None:
    first = LogFilter.parse("auth -x")
    assert first == LogFilter.parse("auth -x")
    with pytest.raises(AttributeError):
        first.expr = "y"  # type: ignore[misc]

"""The running service's version, asked over real HTTP on loopback, including faulty answers."""

from __future__ import annotations

import json

import pytest

from tests.services.version_server import Answer, closed_port_url, silent_server, version_server
from warroom.services.release.service_version import (
    MAX_BODY,
    read_service_version,
    shown_url,
    version_from_body,
)


def test_json_version_at_a_dotted_path() -> None:
    body = json.dumps({"build": {"version": "v1.9.0", "sha": "abc"}}).encode()
    with version_server(Answer(body=body)) as (url, answer):
        got = read_service_version(f"{url}/version?token=s3cret", "build.version")
    assert got.version == "v1.9.0" and got.error is None
    assert answer.requests == ["/version?token=s3cret"]
    assert "s3cret" not in got.url  # the query may hold a secret: never shown
    assert got.url.endswith("/version")


def test_list_index_and_number_values() -> None:
    body = json.dumps({"items": [{"v": "1.2.3"}, {"v": 2}]}).encode()
    assert version_from_body(body, "items.0.v") == "1.2.3"
    assert version_from_body(body, "items.1.v") == "2"


def test_plain_text_answer_is_its_first_line() -> None:
    with version_server(
        Answer(body=b"  v2.0.1\nbuilt 2026-11-26\n", content_type="text/plain")
    ) as (
        url,
        _,
    ):
        got = read_service_version(url)
    assert got.version == "v2.0.1"


@pytest.mark.parametrize(
    ("answer", "path", "problem"),
    [
        (Answer(status=503, body=b"down"), "build.version", "HTTP 503, the answer is not JSON"),
        (Answer(status=404, body=b"v1.2.3"), None, "HTTP 404"),  # an error page is no version
        (Answer(body=b"<html>oops</html>", content_type="text/html"), "v", "not JSON"),
        (Answer(body=b'{"build": {}}'), "build.version", "no 'build.version' in the answer"),
        (Answer(body=b'{"build": {"version": null}}'), "build.version", "is null, not a version"),
        (Answer(body=b'{"version": true}'), "version", "is bool, not a version"),
        (Answer(body=b'{"version": "   "}'), "version", "empty version"),
        (Answer(body=b"\n\n"), None, "empty version"),
        (Answer(body=b"x" * (MAX_BODY + 10)), None, f"over {MAX_BODY} bytes"),
    ],
)
def test_faulty_answers_are_one_line_problems(
    answer: Answer, path: str | None, problem: str
) -> None:
    with version_server(answer) as (url, _):
        got = read_service_version(url, path)
    assert got.version is None
    assert got.error is not None and problem in got.error
    assert "\n" not in got.error


def test_escape_sequences_in_the_version_are_made_inert() -> None:
    body = json.dumps({"v": "v1.2.3\x1b]0;owned\x07\u202e"}).encode()
    with version_server(Answer(body=body)) as (url, _):
        got = read_service_version(url, "v")
    assert got.version is not None
    assert "\x1b" not in got.version and "\u202e" not in got.version
    assert got.version.startswith("v1.2.3␛]0;owned")


def test_a_failing_health_document_still_names_its_release() -> None:
    body = b'{"status": "fail", "releaseId": "1.2.3"}'
    answer = Answer(status=503, body=body, content_type="application/health+json")
    with version_server(answer) as (url, _):
        got = read_service_version(f"{url}/health", "releaseId")
    assert (got.version, got.error) == ("1.2.3", None)


def test_a_hung_service_times_out() -> None:
    with silent_server() as url:
        got = read_service_version(url, "v", timeout=0.3)
    assert got.error == "no answer within 0.3s"


def test_nobody_listening_is_a_connect_error() -> None:
    got = read_service_version(closed_port_url(), "v")
    assert got.error is not None and got.error.startswith("cannot connect")


def test_shown_url_drops_credentials_and_query() -> None:
    assert shown_url("https://ops:pw@prod.example:8443/v?key=1") == "https://prod.example:8443/v"

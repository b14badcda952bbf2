"""Version rules: parsing, ordering, the production tag and the next version."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.services.release.versions import (
    Scheme,
    branch_version,
    is_hotfix_branch,
    next_version,
    parse_version,
    previous_release,
    production_tag,
    release_tags,
    same_version,
    version_tags,
)

SEEN = ["v1.9.0", "v1.10.0", "v1.10.1-beta", "v2.0.0-rc1", "latest"]
"""The tag set that once made the bar read `v2.0.0-rc1 → v2.0.1`."""


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("v1.2.3", (1, 2, 3, ())),
        ("1.2.3", (1, 2, 3, ())),
        ("V10.0.1", (10, 0, 1, ())),
        ("v1.2.3-rc.1", (1, 2, 3, ("rc", "1"))),
        ("v1.2.3-hotfix.12", (1, 2, 3, ("hotfix", "12"))),
        ("v1.2.3+build.5", (1, 2, 3, ())),
        ("v1.2.3-beta+exp.sha.5114f85", (1, 2, 3, ("beta",))),
        ("v0.0.0", (0, 0, 0, ())),
        ("v1.2", None),
        ("v1.2.3.4", None),
        ("latest", None),
        ("release-1.2.3", None),
        ("v01.2.3", None),
        ("v1.2.3-rc.01", None),
        ("v1.2.3-", None),
        ("v1.2.3 ", None),
        ("", None),
    ],
)
def test_parse_version(tag: str, expected: tuple[int, int, int, tuple[str, ...]] | None) -> None:
    version = parse_version(tag)
    if expected is None:
        assert version is None
    else:
        assert version is not None
        assert (version.major, version.minor, version.patch, version.pre) == expected
        assert version.tag == tag


def test_versions_order_as_semver_not_strings() -> None:
    tags = [
        "v1.10.0",
        "v1.9.9",
        "v1.2.3",
        "v1.2.3-rc.1",
        "v1.2.3-rc.2",
        "v1.2.3-rc.10",
        "v1.2.3-alpha",
        "v1.2.3-1",
        "v1.2.3-hotfix.1",
        "v2.0.0-rc.1",
    ]
    ordered = [v.tag for v in version_tags(tags)]
    assert ordered == [
        "v1.2.3-1",
        "v1.2.3-alpha",
        "v1.2.3-hotfix.1",
        "v1.2.3-rc.1",
        "v1.2.3-rc.2",
        "v1.2.3-rc.10",
        "v1.2.3",
        "v1.9.9",
        "v1.10.0",
        "v2.0.0-rc.1",
    ]


@pytest.mark.parametrize(
    ("tags", "pattern", "exclude", "expected"),
    [
        (["v1.9.9", "v1.10.0", "v1.2.0"], "v*", None, "v1.10.0"),
        (["v1.2.3", "v1.2.4-rc.1"], "v*", None, "v1.2.3"),
        (["v1.2.3", "v1.2.3-hotfix.1"], "v*", None, "v1.2.3"),
        (["v1.2.3", "latest", "nightly", "v9"], "v*", None, "v1.2.3"),
        (["latest", "nightly"], "v*", None, None),
        ([], "v*", None, None),
        (["v1.0.0", "2.0.0"], "v*", None, "v1.0.0"),
        (["v1.0.0", "2.0.0"], "*", None, "2.0.0"),
        (["app-v1.0.0", "v3.0.0"], "app-v*", None, None),
        (["v1.2.3", "v1.2.4"], "v*", "v1.2.4", "v1.2.3"),
        (["v1.2.3", "v1.2.3-hotfix.1"], "v*", "v1.2.3-hotfix.1", "v1.2.3"),
        (["v1.2.4"], "v*", "v1.2.4", None),
    ],
)
def test_production_tag(
    tags: list[str], pattern: str, exclude: str | None, expected: str | None
) -> None:
    assert production_tag(tags, pattern, exclude=exclude) == expected


@pytest.mark.parametrize(
    ("current", "scheme", "existing", "expected"),
    [
        ("v1.2.3", "patch", [], "v1.2.4"),
        ("1.2.3", "patch", [], "1.2.4"),
        ("v1.2.9", "patch", [], "v1.2.10"),
        ("v1.2.3", "patch", ["v1.2.4"], "v1.2.5"),
        ("v1.2.3", "patch", ["v1.2.4-rc.1"], "v1.2.4"),
        ("v1.2.3-rc.1", "patch", [], "v1.2.4"),
        ("v1.2.3", "hotfix", [], "v1.2.3-hotfix.1"),
        ("v1.2.3", "hotfix", ["v1.2.3", "v1.2.3-hotfix.1"], "v1.2.3-hotfix.2"),
        ("v1.2.3", "hotfix", ["v1.2.3-hotfix.1", "v1.2.3-hotfix.9"], "v1.2.3-hotfix.10"),
        ("v1.2.3", "hotfix", ["v1.2.2-hotfix.4", "v1.2.3-rc.1"], "v1.2.3-hotfix.1"),
        ("v1.2.3-hotfix.2", "hotfix", [], "v1.2.3-hotfix.3"),
        ("v1.2.3", "hotfix", ["1.2.3-hotfix.1"], "v1.2.3-hotfix.2"),
        ("latest", "patch", [], None),
        ("latest", "hotfix", [], None),
    ],
)
def test_next_version(
    current: str, scheme: Scheme, existing: list[str], expected: str | None
) -> None:
    assert next_version(current, scheme, existing) == expected


@pytest.mark.parametrize(
    ("branch", "hotfix", "version"),
    [
        ("hotfix/v1.2.4", True, "v1.2.4"),
        ("hotfix/v1.2.3-hotfix.1", True, "v1.2.3-hotfix.1"),
        ("hotfix/login-crash", True, None),
        ("hotfix/", False, None),
        ("main", False, None),
        ("feature/hotfix/v1.2.4", False, None),
        (None, False, None),
    ],
)
def test_hotfix_branches(branch: str | None, hotfix: bool, version: str | None) -> None:
    assert is_hotfix_branch(branch) is hotfix
    assert branch_version(branch) == version


@pytest.mark.parametrize(
    ("tags", "current", "expected"),
    [
        (["v1.2.3", "v1.2.4", "v1.10.0"], "v1.10.0", "v1.2.4"),
        (["v1.2.3", "v1.2.4"], "v1.2.4", "v1.2.3"),
        (["v1.2.3", "v1.2.3-hotfix.1"], "v1.2.3-hotfix.1", None),
        (["v1.2.2", "v1.2.3", "v1.2.3-hotfix.1"], "v1.2.3", "v1.2.2"),
        (["v1.9.0", "v1.10.0", "v1.10.1-beta", "v2.0.0-rc1", "latest"], "v1.10.0", "v1.9.0"),
        (["v1.2.3-rc.1", "v1.2.3-beta"], "v1.2.3", None),
        (["v1.2.3"], "v1.2.3", None),
        (["v1.2.3"], "latest", None),
    ],
)
def test_previous_release(tags: list[str], current: str, expected: str | None) -> None:
    assert previous_release(tags, current) == expected


_part = st.integers(min_value=0, max_value=30)


@given(st.lists(st.tuples(_part, _part, _part), min_size=1, max_size=12))
def test_release_order_is_numeric_tuple_order(cores: list[tuple[int, int, int]]) -> None:
    tags = [f"v{a}.{b}.{c}" for a, b, c in cores]
    ordered = [v.core for v in version_tags(tags)]
    assert ordered == sorted(cores)
    assert production_tag(tags) == "v{}.{}.{}".format(*max(cores))


def test_seen_tag_set_production_is_the_highest_release_not_a_pre_release() -> None:
    assert production_tag(SEEN) == "v1.10.0"
    assert next_version("v1.10.0", "patch", SEEN) == "v1.10.1"  # the beta does not block it
    assert previous_release(SEEN, "v1.10.0") == "v1.9.0"  # rollback skips v1.10.1-beta
    assert [v.tag for v in release_tags(SEEN)] == ["v1.9.0", "v1.10.0"]


def test_seen_tag_set_with_pre_releases_asked_for() -> None:
    assert production_tag(SEEN, prerelease=True) == "v2.0.0-rc1"
    assert previous_release(SEEN, "v2.0.0-rc1", prerelease=True) == "v1.10.1-beta"
    assert [v.tag for v in release_tags(SEEN, prerelease=True)] == [
        "v1.9.0",
        "v1.10.0",
        "v1.10.1-beta",
        "v2.0.0-rc1",
    ]


@pytest.mark.parametrize(
    ("tags", "prerelease", "expected"),
    [
        (["v1.0.0-rc.1", "v1.0.0-beta", "v0.9.0-alpha.2"], False, None),
        (["v1.0.0-rc.1", "v1.0.0-beta", "v0.9.0-alpha.2"], True, "v1.0.0-rc.1"),
        (["v1.0.0-rc.1", "v1.0.0"], True, "v1.0.0"),  # a release is above its own rc
        (["v1.0.0-rc.2", "v1.0.0-rc.10"], True, "v1.0.0-rc.10"),
        (["v1.2.3", "v1.2.4-alpha", "v1.3.0-beta.1"], False, "v1.2.3"),
        (["latest", "stable", "v2"], True, None),
    ],
)
def test_pre_releases_only_when_asked(
    tags: list[str], prerelease: bool, expected: str | None
) -> None:
    assert production_tag(tags, prerelease=prerelease) == expected


@pytest.mark.parametrize(
    ("scheme", "tags", "exclude", "production", "previous"),
    [
        # The hotfix scheme's own tags are its releases, shipped after what they fix.
        ("hotfix", ["v1.2.2", "v1.2.3", "v1.2.3-hotfix.1"], None, "v1.2.3-hotfix.1", "v1.2.3"),
        (
            "hotfix",
            ["v1.2.3", "v1.2.3-hotfix.1", "v1.2.3-hotfix.2"],
            None,
            "v1.2.3-hotfix.2",
            "v1.2.3-hotfix.1",
        ),
        (
            "hotfix",
            ["v1.2.3", "v1.2.3-hotfix.1", "v1.2.3-hotfix.2"],
            "v1.2.3-hotfix.2",
            "v1.2.3-hotfix.1",
            "v1.2.3",
        ),
        # ...but other pre-releases are still not production.
        ("hotfix", ["v1.2.3", "v1.2.3-hotfix.1", "v1.3.0-rc.1"], None, "v1.2.3-hotfix.1", "v1.2.3"),
        # Under the patch scheme a -hotfix.N tag is a pre-release like any other.
        ("patch", ["v1.2.2", "v1.2.3", "v1.2.4-hotfix.1"], None, "v1.2.3", "v1.2.2"),
    ],
)
def test_hotfix_scheme_releases(
    scheme: Scheme, tags: list[str], exclude: str | None, production: str, previous: str
) -> None:
    assert production_tag(tags, exclude=exclude, scheme=scheme) == production
    assert previous_release(tags, production, scheme=scheme) == previous


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("v1.2.3", "1.2.3", True),
        ("1.2.3+build.7", "v1.2.3", True),
        (" v1.2.3\n", "v1.2.3", True),
        ("v1.2.3", "v1.2.4", False),
        ("v1.2.3-rc.1", "v1.2.3", False),
        ("abc1234", "v1.2.3", False),
        (None, "v1.2.3", False),
        ("v1.2.3", None, False),
    ],
)
def test_same_version(a: str | None, b: str | None, same: bool) -> None:
    assert same_version(a, b) is same

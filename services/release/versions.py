"""Release versions read from git tags: which tag is production, and what comes next.

Tags are compared as versions, not as strings (v1.10.0 is above v1.9.9), a
pre-release sits below its release (v1.2.3-rc.1 < v1.2.3, as semver orders them),
and tags that are not versions (`latest`, `v1.2`, `deploy-2026`) are ignored.
A pre-release (`-rc1`, `-beta`, `-alpha.2`) is never production, nor a rollback
target, unless pre-releases are asked for: a glob cannot say that, so it is a rule
here. The one exception is the `hotfix` scheme's own `-hotfix.N` tags, which are
that scheme's releases and follow the release they fix.
Everything here is a pure function of tag names so the rules have table tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

Scheme = Literal["patch", "hotfix"]

HOTFIX_PREFIX = "hotfix/"
"""Branches named `hotfix/...` are hotfix branches."""

_NUM = r"0|[1-9]\d*"
_IDENT = r"[0-9A-Za-z-]+"
_VERSION = re.compile(
    rf"(?P<prefix>[vV]?)(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+(?P<build>{_IDENT}(?:\.{_IDENT})*))?"
)
_HOTFIX_PRE = re.compile(r"hotfix\.([1-9]\d*)")


@dataclass(frozen=True)
class Version:
    """A parsed version tag; `tag` keeps the name exactly as it is in git."""

    tag: str
    prefix: str
    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    @property
    def core(self) -> tuple[int, int, int]:
        """The release this version belongs to, without its pre-release part."""
        return (self.major, self.minor, self.patch)

    def sort_key(self) -> tuple[object, ...]:
        """Semver precedence (build metadata ignored), then the tag name to break ties."""
        # A release (no pre-release part) sorts above every pre-release of it.
        pre_key: tuple[object, ...]
        if not self.pre:
            pre_key = (1,)
        else:
            # Numeric identifiers sort below alphanumeric ones and compare as numbers.
            idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
            pre_key = (0, idents)
        return (self.core, pre_key, self.tag)


def parse_version(tag: str) -> Version | None:
    """The version a tag names (`v1.2.3`, `1.2.3-rc.1`), or None for any other tag."""
    match = _VERSION.fullmatch(tag)
    if match is None:
        return None
    pre = tuple(match.group("pre").split(".")) if match.group("pre") else ()
    if any(p.isdigit() and len(p) > 1 and p.startswith("0") for p in pre):
        return None
    return Version(
        tag=tag,
        prefix=match.group("prefix"),
        major=int(match.group("major")),
        minor=int(match.group("minor")),
        patch=int(match.group("patch")),
        pre=pre,
    )


def version_tags(tags: Iterable[str], pattern: str = "v*") -> list[Version]:
    """The tags matching the glob `pattern` that are versions, lowest first."""
    found = (parse_version(t) for t in tags if fnmatchcase(t, pattern))
    return sorted((v for v in found if v is not None), key=Version.sort_key)


def is_release(version: Version, scheme: Scheme = "patch") -> bool:
    """Whether a version may be production: no pre-release part, or the scheme's hotfix tag."""
    return not version.pre or (scheme == "hotfix" and hotfix_number(version) is not None)


def release_key(version: Version, scheme: Scheme = "patch") -> tuple[object, ...]:
    """The order in which releases reach production.

    Semver precedence, except that under the `hotfix` scheme v1.2.3-hotfix.1 ships
    after v1.2.3 (semver would put it below, as a pre-release of v1.2.3).
    """
    number = hotfix_number(version) if scheme == "hotfix" else None
    if number is not None:
        return (version.core, 2, number, version.tag)
    if not version.pre:
        return (version.core, 1, 0, version.tag)
    # Pre-releases (only when asked for) keep semver's order, below their release.
    return (version.core, 0, version.sort_key()[1], version.tag)


def release_tags(
    tags: Iterable[str],
    pattern: str = "v*",
    *,
    prerelease: bool = False,
    scheme: Scheme = "patch",
) -> list[Version]:
    """The tags matching `pattern` that may be production, in the order they ship."""
    found = (parse_version(t) for t in tags if fnmatchcase(t, pattern))
    chosen = [v for v in found if v is not None and (prerelease or is_release(v, scheme))]
    return sorted(chosen, key=lambda v: release_key(v, scheme))


def production_tag(
    tags: Iterable[str],
    pattern: str = "v*",
    exclude: str | None = None,
    *,
    prerelease: bool = False,
    scheme: Scheme = "patch",
) -> str | None:
    """The highest release tag matching `pattern`: what production runs.

    `exclude` leaves out the tag of the release being prepared, so tagging the
    hotfix does not make it its own baseline. Pre-releases count only with
    `prerelease`.
    """
    found = release_tags(tags, pattern, prerelease=prerelease, scheme=scheme)
    versions = [v for v in found if v.tag != exclude]
    return versions[-1].tag if versions else None


def same_version(a: str | None, b: str | None) -> bool:
    """Whether two version strings name one release (`1.2.3` is `v1.2.3`; build metadata aside)."""
    left = parse_version(a.strip()) if a is not None else None
    right = parse_version(b.strip()) if b is not None else None
    if left is None or right is None:
        return False
    return (left.core, left.pre) == (right.core, right.pre)


def next_version(current: str, scheme: Scheme, existing_tags: Iterable[str] = ()) -> str | None:
    """The tag of the next hotfix after `current`, or None when `current` is not a version.

    `patch`: v1.2.3 -> v1.2.4 (skipping tags that already exist).
    `hotfix`: v1.2.3 -> v1.2.3-hotfix.1, then -hotfix.2 once .1 exists.
    """
    version = parse_version(current)
    if version is None:
        return None
    existing = [v for v in (parse_version(t) for t in existing_tags) if v is not None]
    taken = {(v.core, v.pre) for v in existing}
    if scheme == "patch":
        patch = version.patch + 1
        while ((version.major, version.minor, patch), ()) in taken:
            patch += 1
        return f"{version.prefix}{version.major}.{version.minor}.{patch}"
    numbers = [hotfix_number(v) for v in [version, *existing] if v.core == version.core]
    following = max((n for n in numbers if n is not None), default=0) + 1
    return f"{version.prefix}{version.major}.{version.minor}.{version.patch}-hotfix.{following}"


def hotfix_number(version: Version) -> int | None:
    """N for a `-hotfix.N` pre-release, else None."""
    match = _HOTFIX_PRE.fullmatch(".".join(version.pre))
    return int(match.group(1)) if match else None


def is_hotfix_branch(branch: str | None) -> bool:
    """Whether a branch is a hotfix branch (`hotfix/...`)."""
    return branch is not None and branch.startswith(HOTFIX_PREFIX) and len(branch) > 7


def branch_version(branch: str | None) -> str | None:
    """The version a hotfix branch is preparing (`hotfix/v1.2.4` -> `v1.2.4`), if it names one."""
    if branch is None or not is_hotfix_branch(branch):
        return None
    name = branch[len(HOTFIX_PREFIX) :]
    return name if parse_version(name) is not None else None


def previous_release(
    tags: Iterable[str],
    current: str,
    pattern: str = "v*",
    *,
    prerelease: bool = False,
    scheme: Scheme = "patch",
) -> str | None:
    """The highest release tag below `current`: what a rollback goes back to.

    The same rule as `production_tag`: a rollback never lands on a pre-release
    unless pre-releases are asked for.
    """
    version = parse_version(current)
    if version is None:
        return None
    key = release_key(version, scheme)
    found = release_tags(tags, pattern, prerelease=prerelease, scheme=scheme)
    below = [v for v in found if release_key(v, scheme) < key]
    below = [v for v in below if (v.core, v.pre) != (version.core, version.pre)]
    return below[-1].tag if below else None

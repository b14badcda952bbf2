"""Reading the release: what one refresh of the release bar costs.

1. The tag rule alone (`production_tag`, `previous_release`) over 10,000 tag names: a
   realistic mix of releases, pre-releases (-rc1, -beta, -alpha.2) and noise (`latest`,
   `deploy-2026-...`).
2. `read_release_sync` on a real git repository in a temp dir with 150 commits and
   1,000 tags (git, the blast radius, the tag rule), without and with `version_url`
   answered by a real HTTP server on 127.0.0.1. The dashboard does this every 30 s in
   a thread. Goal: p50 of the whole read (with the service) below 250 ms.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warroom.services.config import GitConfig
from warroom.services.release.git import read_release_sync
from warroom.services.release.versions import previous_release, production_tag

TAG_NAMES = 10_000
REPO_COMMITS = 150
REPO_TAGS = 1_000
RUNS = 20
READ_GOAL_MS = 250.0


def tag_names(count: int, rng: random.Random) -> list[str]:
    """Version tags, pre-releases and noise, shuffled (git lists them by name anyway)."""
    names: set[str] = set()
    while len(names) < count:
        major, minor, patch = rng.randint(0, 9), rng.randint(0, 40), rng.randint(0, 20)
        roll = rng.random()
        if roll < 0.6:
            names.add(f"v{major}.{minor}.{patch}")
        elif roll < 0.9:
            pre = rng.choice(["rc1", "rc.2", "beta", "alpha.2", "hotfix.1"])
            names.add(f"v{major}.{minor}.{patch}-{pre}")
        else:
            names.add(rng.choice(["latest", "stable", "v2"]) + f"-{len(names)}")
    ordered = sorted(names)
    rng.shuffle(ordered)
    return ordered


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)


def time_rule(tags: list[str]) -> tuple[float, float]:
    """Median seconds of production_tag and of previous_release over `tags`."""
    prod_runs, prev_runs = [], []
    prod = production_tag(tags)
    assert prod is not None
    for _ in range(RUNS):
        start = time.perf_counter()
        production_tag(tags)
        prod_runs.append(time.perf_counter() - start)
        start = time.perf_counter()
        previous_release(tags, prod)
        prev_runs.append(time.perf_counter() - start)
    return statistics.median(prod_runs), statistics.median(prev_runs)


def git(repo: Path, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, input=stdin, text=True
    )


def build_repo(root: Path, tags: list[str]) -> Path:
    """A repository whose history is written by one `git fast-import`, tags on its commits."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    stream = []
    for i in range(1, REPO_COMMITS + 1):
        body = f"line {i}\n"
        message = f"change {i}\n"
        stream.append(
            f"commit refs/heads/main\nmark :{i}\n"
            f"committer Bench <bench@example.invalid> {1_700_000_000 + i} +0000\n"
            f"data {len(message)}\n{message}"
            + (f"from :{i - 1}\n" if i > 1 else "")
            + f"M 100644 inline file{i % 20}.txt\ndata {len(body)}\n{body}\n"
        )
    for n, tag in enumerate(tags):
        stream.append(f"reset refs/tags/{tag}\nfrom :{1 + n % REPO_COMMITS}\n\n")
    git(repo, "fast-import", "--quiet", stdin="".join(stream))
    git(repo, "reset", "--hard", "-q")
    return repo


class _Version(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"build": {"version": "v9.40.20"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def time_reads(repo: Path, config: GitConfig) -> list[float]:
    runs = []
    read_release_sync(config, repo)  # warm the page cache and GitPython's imports
    for _ in range(RUNS):
        start = time.perf_counter()
        info = read_release_sync(config, repo)
        runs.append(time.perf_counter() - start)
        assert info.error is None, info.error
    return runs


def main() -> int:
    rng = random.Random(8)
    names = tag_names(TAG_NAMES, rng)
    prod_s, prev_s = time_rule(names)

    with tempfile.TemporaryDirectory(prefix="warroom-bench-release-") as tmp:
        repo = build_repo(Path(tmp), tag_names(REPO_TAGS, random.Random(9)))
        env = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
        os.environ.update(env)
        plain = time_reads(repo, GitConfig())
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Version)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}/version"
            config = GitConfig(version_url=url, version_path="build.version")
            with_service = time_reads(repo, config)
            state = read_release_sync(config, repo).service_state
        finally:
            server.shutdown()
            server.server_close()
            thread.join()

    rows = [
        (f"production_tag, {TAG_NAMES} names", ms(prod_s), ms(prod_s)),
        (f"previous_release, {TAG_NAMES} names", ms(prev_s), ms(prev_s)),
        (
            f"read_release_sync ({REPO_COMMITS} commits, {REPO_TAGS} tags)",
            ms(statistics.median(plain)),
            ms(max(plain)),
        ),
        (
            "  + version_url on loopback",
            ms(statistics.median(with_service)),
            ms(max(with_service)),
        ),
    ]
    print(f"{'measure':<52} {'p50 ms':>9} {'max ms':>9}")
    for name, p50, worst in rows:
        print(f"{name:<52} {p50:>9.2f} {worst:>9.2f}")
    p50_service = ms(statistics.median(with_service))
    ok = p50_service <= READ_GOAL_MS
    print(f"goal: read with service p50 <= {READ_GOAL_MS:g} ms: {'met' if ok else 'MISSED'}")
    print(
        json.dumps(
            {
                "benchmark": "release_read",
                "production_tag_ms": ms(prod_s),
                "previous_release_ms": ms(prev_s),
                "read_p50_ms": ms(statistics.median(plain)),
                "read_max_ms": ms(max(plain)),
                "read_with_service_p50_ms": p50_service,
                "read_with_service_max_ms": ms(max(with_service)),
                "service_state": state,
                "goal_ms": READ_GOAL_MS,
                "goal_met": ok,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

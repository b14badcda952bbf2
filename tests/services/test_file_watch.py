"""Wake-ups on file changes (inotify), on real files in tmp_path and a real thread."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from warroom.services.logs.watch import FileWatch


@pytest.fixture
def watched(tmp_path: Path) -> Iterator[FileWatch]:
    watch = FileWatch.create([tmp_path / "app.log"])
    if watch is None:
        pytest.skip("no inotify on this system: the follower polls instead")
    yield watch
    watch.close()


class Waiter:
    """`watch.wait(timeout)` in a thread of its own, as the follower calls it."""

    def __init__(self, watch: FileWatch, timeout: float) -> None:
        self.result: bool | None = None
        self._thread = threading.Thread(target=self._run, args=(watch, timeout))
        self._thread.start()

    def _run(self, watch: FileWatch, timeout: float) -> None:
        self.result = watch.wait(timeout)

    def join(self) -> bool | None:
        self._thread.join(120)
        return self.result


def test_a_write_to_the_watched_file_ends_the_wait(tmp_path: Path, watched: FileWatch) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    watched.wait(0)  # the creation above, reported already
    waiter = Waiter(watched, 60)
    with open(log, "a") as handle:
        handle.write("line\n")
    assert waiter.join() is True


def test_a_rename_of_the_watched_file_and_writes_to_its_rotation_end_the_wait(
    tmp_path: Path, watched: FileWatch
) -> None:
    log = tmp_path / "app.log"
    log.write_text("old\n")
    watched.wait(0)
    os.rename(log, tmp_path / "app.log.1")
    assert watched.wait(60) is True
    with open(tmp_path / "app.log.1", "a") as old_writer:
        old_writer.write("late\n")
    assert watched.wait(60) is True


def test_other_files_in_the_folder_do_not_wake_it(tmp_path: Path, watched: FileWatch) -> None:
    (tmp_path / "other.txt").write_text("noise\n")
    assert watched.wait(0.05) is False


def test_wake_ends_a_long_wait(watched: FileWatch) -> None:
    waiter = Waiter(watched, 3600)
    watched.wake()
    assert waiter.join() is False


def test_a_folder_that_appears_later_is_watched_then(tmp_path: Path) -> None:
    folder = tmp_path / "later"
    watch = FileWatch.create([folder / "app.log"])
    if watch is None:
        pytest.skip("no inotify on this system: the follower polls instead")
    try:
        assert watch.wait(0) is False
        folder.mkdir()
        assert watch.wait(0) is True  # newly watched: look once more
        (folder / "app.log").write_text("first\n")
        assert watch.wait(60) is True
    finally:
        watch.close()

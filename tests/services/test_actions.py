"""Deploy actions run as real subprocesses; the rolling plan as a pure state machine."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path

import psutil
import pytest

from tests.waiting import WAIT, eventually
from warroom.services import process
from warroom.services.clock import SystemClock
from warroom.services.config import ActionCommand, ActionsConfig
from warroom.services.release.action_argv import (
    ActionError,
    PreparedAction,
    check_config_permissions,
    expand,
    prepare,
)
from warroom.services.release.actions import ActionRun, ActionRunner
from warroom.services.release.rolling import RollingPlan
from warroom.services.sanitize import MAX_LINE

PY = sys.executable


def config(**commands: list[str] | tuple[list[str], bool]) -> ActionsConfig:
    made: dict[str, ActionCommand] = {}
    for name, spec in commands.items():
        argv, shell = spec if isinstance(spec, tuple) else (spec, False)
        made[name] = ActionCommand(argv=argv, shell=shell)
    return ActionsConfig(commands=made)


def runner(cfg: ActionsConfig, **kw: object) -> ActionRunner:
    return ActionRunner(cfg, SystemClock(), batch_interval=0.01, **kw)  # type: ignore[arg-type]


async def collect(r: ActionRunner, name: str, **ph: str | int | None) -> list[ActionRun]:
    return [snap async for snap in r.run(name, **ph)]


def output(runs: list[ActionRun]) -> list[str]:
    return [line for snap in runs for line in snap.new_lines]


async def test_output_streams_in_order_with_exit_code() -> None:
    script = "for i in 1 2 3; do echo line$i; done; echo oops >&2; exit 3"
    runs = await collect(runner(config(deploy=["sh", "-c", script])), "deploy")
    assert output(runs) == ["line1", "line2", "line3", "oops"]
    final = runs[-1]
    assert final.state == "failed" and final.exit_code == 3 and final.finished
    assert all(not s.finished for s in runs[:-1])
    assert final.tail == ("line1", "line2", "line3", "oops")
    assert final.lines_total == 4
    assert final.duration > 0
    assert len({(s.run_id, s.seq) for s in runs}) == len(runs)


async def test_success_and_output_arrives_while_the_command_still_runs(tmp_path: Path) -> None:
    go = tmp_path / "go"
    code = (
        "import os, time\nprint('ready', flush=True)\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.01)\nprint('done')"
    )
    r = runner(config(deploy=[PY, "-c", code]))
    seen: list[str] = []
    final: ActionRun | None = None
    async for snap in r.run("deploy"):
        seen.extend(snap.new_lines)
        if seen == ["ready"] and not go.exists():
            assert r.running and not snap.finished
            go.touch()
        final = snap
    assert seen == ["ready", "done"]
    assert final is not None and final.state == "succeeded" and final.exit_code == 0
    assert not r.running


async def test_cancel_sends_sigint_then_sigterm_to_a_command_that_traps_sigint() -> None:
    code = (
        "import signal, sys, time\n"
        "def on_int(*a):\n    print('got SIGINT, ignoring', flush=True)\n"
        "signal.signal(signal.SIGINT, on_int)\n"
        "print('ready', flush=True)\n"
        "while True: time.sleep(0.01)\n"
    )
    r = runner(config(deploy=[PY, "-c", code]), grace=0.3)
    seen: list[str] = []
    runs: list[ActionRun] = []
    loop = asyncio.get_running_loop()
    cancelled_at = 0.0
    async for snap in r.run("deploy"):
        runs.append(snap)
        seen.extend(snap.new_lines)
        if "ready" in seen and not cancelled_at:
            assert r.cancel()
            assert r.cancel()  # a second press does not restart the sequence
            cancelled_at = loop.time()
    elapsed = loop.time() - cancelled_at
    assert "got SIGINT, ignoring" in seen
    assert runs[-1].state == "cancelled"
    assert runs[-1].exit_code == -15  # SIGTERM ended it
    assert elapsed >= 0.3  # SIGTERM waited out the grace; how long after is the machine's
    assert not r.cancel()  # nothing left to cancel


def _running(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


async def test_cancel_reaches_the_whole_process_group() -> None:
    # The parent waits on a child: SIGINT to the group stops both, quickly.
    code = (
        "import subprocess\np = subprocess.Popen(['sleep', '30'])\n"
        "print('child', p.pid, flush=True)\np.wait()\nprint('never')"
    )
    r = runner(config(deploy=[PY, "-c", code]), grace=5)
    runs: list[ActionRun] = []
    child = 0
    async for snap in r.run("deploy"):
        runs.append(snap)
        for line in snap.new_lines:
            if line.startswith("child "):
                child = int(line.split()[1])
                r.cancel()
    assert runs[-1].state == "cancelled"
    assert "never" not in output(runs)
    # Gone, or a zombie waiting for init to collect it: it runs no more either way.
    assert not _running(child)


async def test_megabyte_lines_are_capped_and_the_stream_goes_on() -> None:
    code = "import sys\nsys.stdout.write('x' * 1_000_000 + '\\nafter\\n' + 'y' * 3_000_000)"
    runs = await collect(runner(config(big=[PY, "-c", code])), "big")
    lines = output(runs)
    assert len(lines) == 3
    assert lines[0].startswith("x" * 1000) and lines[0].endswith("[line truncated]")
    assert len(lines[0]) <= MAX_LINE + 40
    assert lines[1] == "after"
    assert lines[2].startswith("y") and len(lines[2]) <= MAX_LINE + 40
    assert runs[-1].state == "succeeded"


async def test_escape_sequences_in_output_are_made_inert() -> None:
    script = r"printf '\033]0;pwned\007\033[2Jhello\r\nbidi\342\200\256x\n'"
    runs = await collect(runner(config(evil=["sh", "-c", script])), "evil")
    lines = output(runs)
    assert lines == ["␛]0;pwned␇␛[2Jhello", "bidi<U+202E>x"]
    assert not any("\x1b" in line or "\x07" in line for line in lines)


async def test_placeholders_are_filled_and_unknown_ones_refused() -> None:
    cfg = config(
        deploy=["echo", "{version}", "{previous_version}", "batch-{batch}", "{{literal}}"],
        typo=["echo", "{verison}"],
    )
    runs = await collect(
        runner(cfg), "deploy", version="v1.2.4", previous_version="v1.2.3", batch=2
    )
    assert output(runs) == ["v1.2.4 v1.2.3 batch-2 {literal}"]
    assert runs[0].argv == ("echo", "v1.2.4", "v1.2.3", "batch-2", "{literal}")

    typo = await collect(runner(cfg), "typo", version="v1")
    assert len(typo) == 1 and typo[0].state == "failed" and typo[0].exit_code is None
    assert typo[0].error == (
        "actions.commands.typo.argv[2]: unknown placeholder {verison} "
        "(known: {batch}, {previous_version}, {version})"
    )
    missing = prepare(cfg, "deploy", version="v1.2.4")
    assert isinstance(missing, ActionError)
    assert "no value for {previous_version}" in missing.message
    unknown = prepare(cfg, "nope")
    assert isinstance(unknown, ActionError) and "no action named 'nope'" in unknown.message
    assert expand("{version}", {"version": "a b"}, quote=True) == "'a b'"


async def test_no_shell_unless_asked_and_values_are_quoted_for_the_shell() -> None:
    cfg = config(
        plain=["echo", "a; echo injected", "$HOME"],
        shelled=(["echo {version}; echo second"], True),
    )
    plain = output(await collect(runner(cfg), "plain"))
    assert plain == ["a; echo injected $HOME"]
    prepared = prepare(cfg, "shelled", version="x; echo pwned")
    assert isinstance(prepared, PreparedAction)
    assert prepared.argv == ("/bin/sh", "-c", "echo 'x; echo pwned'; echo second")
    shelled = output(await collect(runner(cfg), "shelled", version="x; echo pwned"))
    assert shelled == ["x; echo pwned", "second"]


async def test_refusals_are_values() -> None:
    cfg = config(deploy=["sh", "-c", "echo hi"], missing=["/nonexistent/deploy"])
    ro = await collect(runner(cfg, read_only=True), "deploy")
    assert ro[-1].state == "failed" and ro[-1].error is not None and "read-only" in ro[-1].error
    gone = await collect(runner(cfg), "missing")
    assert gone[-1].state == "failed" and gone[-1].error is not None
    assert gone[-1].error.startswith("cannot start /nonexistent/deploy")


async def test_one_action_at_a_time() -> None:
    r = runner(config(slow=["sh", "-c", "echo ready; sleep 30"], fast=["echo", "hi"]), grace=1)
    async for snap in r.run("slow"):
        if "ready" in snap.new_lines:
            second = await collect(r, "fast")
            assert second[-1].error == "another action is still running"
            r.cancel()
    assert (await collect(r, "fast"))[-1].state == "succeeded"


async def test_a_background_child_holding_the_pipe_does_not_hang_the_run() -> None:
    # The sleep holds the pipe for 45 s; the run ends long before (WAIT is far shorter).
    r = runner(config(daemon=["sh", "-c", "sleep 45 & echo started"]), drain_timeout=0.2)
    runs = await asyncio.wait_for(collect(r, "daemon"), WAIT)
    assert output(runs) == ["started"]
    assert runs[-1].state == "succeeded"


async def test_abandoning_the_stream_terminates_the_command(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    r = runner(config(slow=["sh", "-c", f"echo $$ > {pidfile}; echo ready; sleep 30"]))
    stream = r.run("slow")
    async for snap in stream:
        if "ready" in snap.new_lines:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    pid = int(pidfile.read_text())
    await eventually(lambda: not running(pid), "the abandoned command ending")
    assert not r.running


def running(pid: int) -> bool:
    """Whether `pid` still runs (a zombie has ended; init collects it in its own time)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


async def test_cancelling_sleep_and_wait_leaves_no_sleep_behind() -> None:
    # The background sleep ignores SIGINT (a non-interactive shell's background job):
    # the shell dies at once, the sleep must still be stopped before the run ends.
    r = runner(config(deploy=["sh", "-c", "sleep 45 & echo $!; wait"]), grace=0.3)
    sleep = 0
    final: ActionRun | None = None
    async for snap in r.run("deploy"):
        if snap.new_lines and not sleep:
            sleep = int(snap.new_lines[0])
            assert running(sleep)
            assert r.cancel()
        final = snap
    assert final is not None and final.state == "cancelled"
    assert not running(sleep)  # at the final snapshot already: no polling
    assert final.pgid is not None and not process.group_alive(final.pgid)


async def test_the_first_snapshot_names_the_process_before_any_output() -> None:
    r = runner(config(deploy=["sh", "-c", "echo one; echo two"]))
    runs = await collect(r, "deploy")
    first = runs[0]
    assert first.state == "running" and first.new_lines == () and first.lines_total == 0
    assert first.pid is not None and first.pgid == first.pid
    assert runs[-1].pid == first.pid and output(runs) == ["one", "two"]


async def test_what_a_command_leaves_running_is_stopped_when_it_exits() -> None:
    r = runner(config(deploy=["sh", "-c", "sleep 45 & echo $!"]), drain_timeout=0.2)
    runs = await asyncio.wait_for(collect(r, "deploy"), 10)
    sleep = int(output(runs)[0])
    assert runs[-1].state == "succeeded" and runs[-1].leftovers == 1
    assert not running(sleep)


async def test_stop_hurries_a_cancel_and_returns_when_the_group_is_gone() -> None:
    # Ignores SIGINT and SIGTERM: a cancel with a long grace would take minutes.
    script = "trap '' INT TERM; sleep 45 & echo $!; wait"
    r = runner(config(deploy=["sh", "-c", script]), grace=120)
    sleep = 0
    runs: list[ActionRun] = []
    async for snap in r.run("deploy"):
        runs.append(snap)
        if snap.new_lines and not sleep:
            sleep = int(snap.new_lines[0])
            assert r.cancel()
            assert await asyncio.wait_for(r.stop(grace=0.1), 10)
            assert not running(sleep)
    assert runs[-1].state == "cancelled" and runs[-1].exit_code == -9
    assert not await r.stop()  # nothing left to stop


async def test_kill_now_from_another_thread_ends_the_whole_group() -> None:
    # The last resort when the process must end at once: no grace, no waiting.
    r = runner(config(deploy=["sh", "-c", "sleep 45 & echo $!; wait"]), grace=120)
    sleep = 0
    runs: list[ActionRun] = []
    async for snap in r.run("deploy"):
        runs.append(snap)
        if snap.new_lines and not sleep:
            sleep = int(snap.new_lines[0])
            killer = threading.Thread(target=r.kill_now)
            killer.start()
            killer.join()
    assert runs[-1].state == "failed" and runs[-1].exit_code == -9
    assert not running(sleep)
    r.kill_now()  # nothing running: nothing happens


# --- permissions ---------------------------------------------------------------


def test_config_permissions_like_strict_modes(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir(mode=0o700)
    folder.chmod(0o700)
    path = folder / "warroom.toml"
    path.write_text("")
    path.chmod(0o600)
    assert check_config_permissions(path) is None
    path.chmod(0o644)
    assert check_config_permissions(path) is None

    path.chmod(0o666)
    problem = check_config_permissions(path)
    assert problem is not None
    assert "config file" in problem and "writable by group and others" in problem
    assert "mode 0666" in problem and "chmod go-w" in problem
    path.chmod(0o620)
    problem = check_config_permissions(path)
    assert problem is not None and "writable by group " in problem

    path.chmod(0o600)
    folder.chmod(0o777)
    problem = check_config_permissions(path)
    assert problem is not None and "config folder" in problem and "mode 0777" in problem
    folder.chmod(0o700)
    assert check_config_permissions(folder / "absent.toml") is not None


async def test_runner_checks_permissions_before_every_run(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    path = tmp_path / "warroom.toml"
    path.write_text("")
    path.chmod(0o600)
    r = runner(config(hi=["echo", "hi"]), config_path=path)
    assert (await collect(r, "hi"))[-1].state == "succeeded"
    path.chmod(0o666)
    refused = await collect(r, "hi")
    assert refused[-1].state == "failed" and refused[-1].error is not None
    assert refused[-1].error.startswith("refusing to run actions")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the file away")
def test_config_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    path = tmp_path / "warroom.toml"
    path.write_text("")
    path.chmod(0o600)
    os.chown(path, 12345, 12345)
    problem = check_config_permissions(path)
    assert problem is not None and "owned by uid 12345" in problem


# --- rolling plan --------------------------------------------------------------


def test_rolling_plan_offers_the_next_batch_only_after_gates_held() -> None:
    plan = RollingPlan(total=3, gate_for=60.0, gates=("health", "errors"))
    assert plan.offer_next(0) and plan.progress == "batch 1/3 next"
    plan = plan.start_batch()
    assert not plan.offer_next(0) and plan.progress == "batch 1/3 running"
    plan = plan.batch_finished(ok=True, now=100)
    assert plan.done == 1 and plan.progress == "batch 2/3 next"
    assert not plan.offer_next(100)
    assert plan.waiting_for(100) == "waiting for the gates to be checked"

    plan = plan.observe_gates({"health": True, "errors": True}, now=100)
    assert not plan.offer_next(159.9)
    assert plan.waiting_for(130) == "gates held 30s of 60s"
    plan = plan.observe_gates({"health": True, "errors": False}, now=140)
    assert plan.waiting_for(140) == "gates not holding: errors"
    plan = plan.observe_gates({"health": True, "errors": True}, now=150)
    assert not plan.offer_next(200)  # the hold restarted at 150
    plan = plan.observe_gates({"health": True, "errors": True}, now=205)
    assert plan.offer_next(210) and plan.waiting_for(210) == "batch 2/3 ready"

    plan = plan.start_batch().batch_finished(ok=True, now=300)
    plan = plan.observe_gates({"health": True}, now=300)  # a missing gate is not holding
    assert plan.held_since is None and plan.failed_gates == ("errors",)
    plan = plan.observe_gates({"health": True, "errors": True}, now=310)
    assert plan.offer_next(370)
    plan = plan.start_batch().batch_finished(ok=True, now=400)
    assert plan.complete and not plan.offer_next(10_000)
    assert plan.progress == "batch 3/3 done"


@pytest.mark.parametrize(
    ("gates", "observations", "now", "offered"),
    [
        ((), [], 100.0, False),  # no gates still waits gate_for after the batch
        ((), [({}, 100.0)], 159.0, False),
        ((), [({}, 100.0)], 160.0, True),
        (("a",), [({"a": True}, 100.0)], 160.0, True),
        (("a",), [({"a": True}, 100.0), ({"a": False}, 150.0)], 160.0, False),
        (("a",), [({"b": True}, 100.0)], 500.0, False),
    ],
)
def test_gate_table(
    gates: tuple[str, ...],
    observations: list[tuple[dict[str, bool], float]],
    now: float,
    offered: bool,
) -> None:
    plan = RollingPlan(total=2, gate_for=60.0, gates=gates).start_batch()
    plan = plan.batch_finished(ok=True, now=100.0)
    for gate_values, at in observations:
        plan = plan.observe_gates(gate_values, at)
    assert plan.offer_next(now) is offered


def test_failed_batch_stops_the_rollout() -> None:
    plan = RollingPlan.from_config(ActionsConfig(batches=4, gate_for=1.0, gates=["health"]))
    assert plan.total == 4 and plan.gates == ("health",)
    plan = plan.start_batch().batch_finished(ok=False, now=10)
    assert plan.failed == "batch 1 failed"
    assert not plan.offer_next(1000)
    assert plan.waiting_for(1000) == "batch 1 failed"

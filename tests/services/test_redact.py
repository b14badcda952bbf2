"""Values from the environment are masked before anything is journaled."""

from __future__ import annotations

from pathlib import Path

from warroom.services.config import load_config
from warroom.services.redact import MASK, redact


def test_every_string_in_a_payload_is_masked() -> None:
    payload = {
        "argv": ["./deploy.sh", "--token=s3cr3t-token", "v1.2.4"],
        "error": "401 for s3cr3t-token",
        "nested": {"ok": True, "items": ("s3cr3t-token",)},
        "exit_code": 0,
    }
    assert redact(payload, {"s3cr3t-token"}) == {
        "argv": ["./deploy.sh", f"--token={MASK}", "v1.2.4"],
        "error": f"401 for {MASK}",
        "nested": {"ok": True, "items": [MASK]},
        "exit_code": 0,
    }


def test_nothing_changes_without_secrets() -> None:
    payload = {"item": "p01.assess-severity"}
    assert redact(payload, ()) is payload


def test_the_config_knows_which_values_came_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "warroom.toml"
    path.write_text(
        '[actions.commands.production]\nargv = ["./deploy.sh", "--token=${env:DEPLOY_TOKEN}"]\n'
        '[[endpoint]]\nname = "api"\nurl = "http://127.0.0.1:9/health"\n'
        'headers = { X-Flag = "${env:SHORT}" }\n'
    )
    loaded = load_config(path, env={"DEPLOY_TOKEN": "tok-123456", "SHORT": "1"})
    assert loaded.secrets == frozenset({"tok-123456"})
    argv = loaded.config.actions.commands["production"].argv
    assert redact({"argv": argv}, loaded.secrets) == {"argv": ["./deploy.sh", f"--token={MASK}"]}

"""The `warroom` command: argument parsing and the subcommands.

Each subcommand builds what it needs from the config and the services; the dashboard
is built by `warroom.tui.app.build_app`, the same factory the tests use.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from warroom.services.config import LoadedConfig

EXIT_CONFIG = 2


def _version() -> str:
    from warroom import __version__

    return __version__


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for: reading the installed distribution's
    metadata costs about 30 ms, which every other command (and the dashboard's first
    frame) would pay for nothing if argparse's own version action built its text."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        print(f"warroom {_version()}")
        parser.exit()


def _duration(text: str) -> float:
    """`check --for`'s duration, parsed by the check (imported only when given)."""
    from warroom.tui.headless.check import duration_arg

    return duration_arg(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warroom",
        description="A terminal dashboard for shipping an emergency hotfix to production.",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (default ./warroom.toml)")
    parser.add_argument(
        "--read-only", action="store_true", help="watch only: refuse every change (projector)"
    )
    parser.add_argument("--theme", metavar="NAME", help="colour theme (default warroom-dark)")
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
        return p

    demo = sub.add_parser("demo", help="run the dashboard against a simulated production service")
    demo.add_argument("--theme", metavar="NAME", default=argparse.SUPPRESS, help="colour theme")
    demo.add_argument(
        "--read-only", action="store_true", default=argparse.SUPPRESS, help="watch only"
    )
    # `warroom init` parses its own flags (tui/headless/init.py); listed here for --help.
    sub.add_parser("init", help="write a commented warroom.toml for this repository")
    config = with_config(sub.add_parser("config", help="check a config file"))
    config.add_argument("--validate", action="store_true", help="validate and exit 0 or 2")

    serve = with_config(sub.add_parser("serve", help="serve the dashboard to web browsers"))
    serve.add_argument(
        "--demo", action="store_true", help="serve the simulated service, shared by every viewer"
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1; others have NO authentication)",
    )
    serve.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    serve.add_argument(
        "--allow-actions", action="store_true", help="let browser viewers act (default: read-only)"
    )
    serve.add_argument(
        "--max-viewers",
        type=int,
        default=8,
        metavar="N",
        help="dashboards served at once (default 8); more browsers are refused",
    )

    check = with_config(
        sub.add_parser("check", help="probe every endpoint and metric once (exit 0 when all UP)")
    )
    check.add_argument("--json", action="store_true", help="print JSON instead of a table")
    check.add_argument(
        "--for",
        dest="watch",
        type=_duration,
        default=0.0,
        metavar="DURATION",
        help="watch that long (e.g. 5m) and judge the gates over it, as after a deploy",
    )

    tail = with_config(sub.add_parser("tail", help="follow and filter the logs to stdout"))
    tail.add_argument("files", nargs="*", metavar="FILE", help="files or globs (default: [[log]])")
    tail.add_argument("--filter", metavar="EXPR", help="words, /regex/, -exclude")
    tail.add_argument("--lines", type=int, default=10, metavar="N", help="backlog lines (10)")

    report = with_config(sub.add_parser("report", help="write the incident report"))
    report.add_argument("--format", choices=["md", "json"], default="md")
    report.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")

    journal = sub.add_parser("journal", help="check, recover or copy the incident journal")
    journal.add_argument(
        "action",
        choices=["check", "recover", "copy"],
        help="check: is it sound (read-only); recover: rebuild a damaged one; "
        "copy: copy it to PostgreSQL (--to URL)",
    )
    journal.add_argument(
        "--to",
        metavar="URL",
        help="copy: the PostgreSQL journal, postgresql://user@host:port/db (password: PGPASSWORD)",
    )
    with_config(journal)
    return parser


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a long-running, bursty process.

    Everything imported so far is frozen out of the collector, and the youngest
    generation is collected less often: measured under 100,000 log lines/s, full
    collections went from one a second (50-100 ms pauses of the event loop) to none.
    """
    gc.freeze()
    gc.set_threshold(50_000, 10, 10)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["init"]:
        from warroom.tui.headless.init import run_init

        return run_init(words[1:])
    args = _parser().parse_args(argv)
    if args.command == "init":
        print(
            "warroom: init: takes none of the dashboard's flags (warroom init --help)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if args.command in (None, "demo"):
        # First thing: a closed terminal or a kill ends the dashboard promptly from here
        # on, even while Textual is still being imported.
        import tempfile

        from warroom.tui.stopping import STOPPER

        # Python finds its temp dir by writing a probe file; done before a signal can
        # interrupt it (and leave the probe behind).
        tempfile.gettempdir()
        STOPPER.install()
    if getattr(args, "theme", None) is not None and _bad_theme(args.theme):
        return EXIT_CONFIG
    if args.command == "demo":
        # Before pydantic and the services are imported: the demo loads them behind its
        # first frame.
        from warroom.tui.demo import run_demo

        return run_demo(theme=args.theme, read_only=args.read_only)
    from warroom.services.config import ConfigError, load_config

    try:
        if args.command == "serve":
            from warroom.tui.serve import run_serve

            return run_serve(
                demo=args.demo,
                config=args.config,
                host=args.host,
                port=args.port,
                allow_actions=args.allow_actions,
                max_viewers=args.max_viewers,
            )
        if args.command == "tail":
            from warroom.tui.headless.commands import run_tail_command

            tune_gc()
            return run_tail_command(
                args.files, config=args.config, filter_expr=args.filter, lines=args.lines
            )
        if args.command == "check":
            from warroom.tui.headless.commands import run_check_command

            return run_check_command(load_config(args.config), as_json=args.json, watch=args.watch)
        if args.command == "report":
            from warroom.tui.headless.commands import run_report_command

            return run_report_command(load_config(args.config), fmt=args.format, output=args.output)
        if args.command == "journal" and args.action == "copy":
            from warroom.tui.headless.journal_copy import run_journal_copy

            if not args.to:
                print("warroom: journal copy: --to URL is required", file=sys.stderr)
                return EXIT_CONFIG
            return run_journal_copy(load_config(args.config), to=args.to)
        if args.command == "journal":
            from warroom.tui.headless.commands import run_journal_command

            return run_journal_command(load_config(args.config), action=args.action)
        if args.command == "config":
            from warroom.services.runbook.model import runbook_for
            from warroom.tui.theme_names import theme_names

            loaded = load_config(args.config, themes=theme_names())
            runbook_for(loaded)  # a custom runbook must parse, not only exist
            print(f"warroom: {args.config or 'warroom.toml'}: valid")
            del loaded
            return 0
        from warroom.tui.theme_names import theme_names

        loaded = load_config(args.config, themes=theme_names())
        return _run_dashboard(loaded, theme=args.theme, read_only=args.read_only)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


def _bad_theme(name: str) -> bool:
    """Whether `--theme NAME` names no theme; if so the one-line error is printed."""
    from warroom.services.config import ConfigError, unknown_theme
    from warroom.tui.theme_names import theme_names

    names = theme_names()
    if name in names:
        return False
    print(ConfigError("--theme", "", unknown_theme(name, names)), file=sys.stderr)
    return True


def _run_dashboard(loaded: LoadedConfig, *, theme: str | None, read_only: bool) -> int:
    # The config is checked before the screen opens, so a bad one never flashes it.
    from warroom.tui.app import make_runtime, start_app
    from warroom.tui.stopping import STOPPER

    app = start_app(
        lambda: make_runtime(loaded, read_only=read_only),
        theme=theme,
        config_theme=loaded.config.ui.theme,
    )
    tune_gc()
    STOPPER.attach(app)
    try:
        app.run()
    finally:
        STOPPER.finishing()
    if STOPPER.signum is not None:
        return STOPPER.exit_status
    if app.start_error is not None:
        return report_start_error(app.start_error)
    return app.return_code or 0


def report_start_error(exc: BaseException) -> int:
    """Print why the dashboard could not start (one line for a config error); the status."""
    from warroom.services.config import ConfigError

    if isinstance(exc, ConfigError):
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    raise exc


def entry() -> None:
    """`python -m warroom`."""
    sys.exit(main())


if __name__ == "__main__":
    entry()

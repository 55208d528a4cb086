"""The command line: argument parsing only (the contract in docs/architecture.md).

Every command takes `--data-dir`, `--secret-file` and `--database`, before or after the command name.
"""

import argparse
import os
from pathlib import Path

from desktop_app import APP_NAME, __version__
from desktop_app.core.guide.snippets import CLIENTS
from desktop_app.core.paths import DATABASE_ENV, HOME_ENV
from desktop_app.core.reports.formats import REPORT_FORMATS
from desktop_app.core.team.secrets import SECRET_FILE_ENV
from desktop_app.core.team.settings import RECORDING_LEVELS

USER_ACTIONS = ("add", "remove", "disable", "enable", "rotate", "list", "show", "snippet")
PORT_RANGE = (1, 65535)


def port_number(text: str) -> int:
    """An argparse type: a TCP port from 1 to 65535, else the parser says the valid range."""
    low, high = PORT_RANGE
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use a number from {low} to {high}")
    return value


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", type=Path, metavar="DIR", default=default,
                        help=f"keep settings, data, logs and the CA in DIR (also ${HOME_ENV})")
    parser.add_argument("--secret-file", type=Path, metavar="PATH", default=default,
                        help=f"opt in to keeping the credential secret in PATH instead of the system "
                             f"keyring (also ${SECRET_FILE_ENV}); the file must be private to you")
    parser.add_argument("--database", metavar="URL", default=default,
                        help=f"keep usage (and the team) in the PostgreSQL database URL, "
                             f"postgresql://user:password@host:port/dbname, which several proxies may share "
                             f"(also ${DATABASE_ENV}; default: the SQLite file in the data folder)")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                        default=argparse.SUPPRESS if suppress else "info", help="diagnostic log level")


def _serve(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", parent: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", parents=[parent], help="run the proxy headless (e.g. on a server)")
    serve.add_argument("--listen-host", metavar="HOST", help="address to listen on (default: from settings, "
                       "127.0.0.1; 0.0.0.0 for every interface)")
    serve.add_argument("--listen-port", type=port_number, metavar="PORT",
                       help="port to listen on, 1 to 65535 (default: from settings, 8080)")
    serve.add_argument("--record", choices=RECORDING_LEVELS, help="what to record (default: from settings)")
    serve.add_argument("--setup-port", type=port_number, metavar="PORT",
                       help="port of the developers' setup page (default: from settings, the proxy port + 1)")
    serve.add_argument("--no-setup-page", dest="setup_page", action="store_false", default=None,
                       help="do not serve the developers' setup page")
    serve.add_argument("--otlp-port", type=int, metavar="PORT",
                       help="port of the OpenTelemetry receiver for developers without the CA "
                            "(default: from settings, 4318; 0: off)")
    serve.add_argument("--upstream-proxy", metavar="URL",
                       help="send all upstream traffic through this company proxy: http://[user:password@]host:port "
                            "(default: from settings; '' for a direct connection)")
    serve.add_argument("--upstream-ca", type=Path, metavar="FILE",
                       help="also trust this CA (PEM) upstream, e.g. a TLS-inspecting company proxy's")
    serve.add_argument("--set", dest="set_options", action="append", default=[], metavar="NAME=VALUE",
                       help="set any mitmproxy option, as mitmdump --set does (repeatable)")
    serve.add_argument("-s", "--script", dest="scripts", action="append", default=[], type=Path,
                       metavar="SCRIPT", help="load an extra mitmproxy addon script (repeatable)")


def _users(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", parent: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", parents=[parent], help="manage the developers and their proxy credentials")
    users.add_argument("action", choices=USER_ACTIONS)
    users.add_argument("name", nargs="?", help="the developer (all actions but list)")
    users.add_argument("--password-only", action="store_true", help="show: print only the password")
    users.add_argument("--host", help="show/add/rotate/snippet: the host name or address developers use to "
                                      "reach this computer (default: its network address)")
    users.add_argument("--client", choices=tuple(CLIENTS),
                       help="snippet: the text to paste for this client, as the team window copies it")


def _others(sub: "argparse._SubParsersAction[argparse.ArgumentParser]", parent: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", parents=[parent], help="export a usage report")
    report.add_argument("--from", dest="date_from", required=True, metavar="DATE", help="first day (2026-11-01)")
    report.add_argument("--to", dest="date_to", required=True, metavar="DATE", help="last day, included")
    report.add_argument("--format", required=True, choices=REPORT_FORMATS)
    report.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
    report.add_argument("--developers", metavar="a,b", help="only these developers (default: everyone)")
    report.add_argument("--instances", metavar="NAME[,NAME]",
                        help="only what these proxies recorded (default: every instance; see `status`)")
    report.add_argument("--pseudonymize", action="store_true",
                        help="replace developer names by stable aliases (the same name, the same alias)")
    report.add_argument("--include-prompts", action="store_true",
                        help="xlsx/html/pdf: add the recorded prompts and answers (only where recorded)")
    imports = sub.add_parser("import-logs", parents=[parent],
                             help="ingest the per-request JSON logs of copilot-proxy-insight (the mitmproxy script "
                                  "this app replaces)")
    imports.add_argument("directory", type=Path, metavar="DIR")
    sub.add_parser("status", parents=[parent], help="data locations, developers seen, and anything lost")
    ca = sub.add_parser("ca", parents=[parent], help="the proxy's CA certificate")
    ca.add_argument("action", choices=("path", "export"))
    ca.add_argument("--format", choices=("pem", "cer", "p12"), default="pem")
    ca.add_argument("-o", "--output", type=Path, metavar="FILE",
                    help="export: the file to write, or a folder (then copilot-insight-ca.pem/.cer/.p12 in it)")


def build_parser() -> argparse.ArgumentParser:
    """Return the parser for `copilot-insight`."""
    parser = argparse.ArgumentParser(
        prog="copilot-insight",
        description=f"{APP_NAME}: per-developer GitHub Copilot usage through an authenticating proxy. "
                    "Without a command, the tray application starts.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _common(parser, suppress=False)
    parser.add_argument("--no-error-dialogs", action="store_true", help="log errors instead of showing dialogs")
    parser.add_argument("--smoke-test", action="store_true",
                        help="self-test: start the proxy on a free loopback port with a temporary data folder "
                             "and secret (never yours: --data-dir and --secret-file are not used, nothing is "
                             "kept), send one HTTPS request through it trusting its own CA, exit 0 or 1")
    parent = argparse.ArgumentParser(add_help=False)
    _common(parent, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _serve(sub, parent)
    _users(sub, parent)
    _others(sub, parent)
    return parser


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse `argv`, filling `--secret-file` from the environment when not given."""
    args = build_parser().parse_args(argv)
    if args.secret_file is None and os.environ.get(SECRET_FILE_ENV):
        args.secret_file = Path(os.environ[SECRET_FILE_ENV])
    if args.smoke_test and args.command is not None:
        build_parser().error("--smoke-test runs on its own, without a command")
    if args.command == "ca" and args.action == "export" and args.output is None:
        build_parser().error("ca export needs -o FILE (or -o FOLDER), e.g. -o copilot-insight-ca.pem")
    if args.command == "users" and args.action != "list" and not args.name:
        build_parser().error(f"users {args.action} needs a developer NAME")
    if args.command == "users" and (args.action == "snippet") != (args.client is not None):
        build_parser().error("users snippet needs --client " + "|".join(CLIENTS) if args.action == "snippet"
                             else "--client goes with users snippet")
    return args

"""`copilot-insight ca path|export --format pem|cer|p12 -o FILE|FOLDER`."""

import argparse
from pathlib import Path

from desktop_app.ca.certificate import describe_ca, export_ca
from desktop_app.commands.common import out
from desktop_app.core.errors import AppError
from desktop_app.core.fileio import export_bytes
from desktop_app.core.netinfo import host_name
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.proxy.certs import ensure_ca

EXPORT_STEM = "copilot-insight-ca"
FORMAT_NAMES = {"pem": "PEM", "cer": "DER (.cer)", "p12": "PKCS#12, certificate only"}


def _export(args: argparse.Namespace, paths: AppPaths) -> None:
    output: Path = args.output.expanduser()
    if output.is_dir():  # a folder: the usual name in it
        output = output / f"{EXPORT_STEM}.{args.format}"
    confdir = ensure_private_dir(paths.confdir)
    ensure_ca(confdir, host_name())
    data = export_ca(confdir, args.format)
    try:
        export_bytes(output, data)
    except OSError as exc:
        raise AppError(f"Could not write {output}: {exc.strerror or exc}. Choose a folder you can write to.",
                       f"{type(exc).__name__}: {exc}") from exc
    ca = describe_ca(confdir)
    out(f"Wrote the CA certificate '{ca.common_name}' ({FORMAT_NAMES[args.format]}) to {output}.")
    out(f"SHA-256 fingerprint: {ca.fingerprint}")


def ca(args: argparse.Namespace, paths: AppPaths) -> int:
    """`ca path` prints where the CA certificate is; `ca export` writes it (never the key) to a file."""
    if args.action == "path":
        out(str(ensure_ca(ensure_private_dir(paths.confdir), host_name())))
    else:
        _export(args, paths)
    return 0

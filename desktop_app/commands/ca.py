"""`copilot-insight ca path|export`."""

import argparse

from desktop_app.commands.common import out
from desktop_app.core.errors import AppError
from desktop_app.core.paths import AppPaths, ensure_private_dir
from desktop_app.proxy.certs import ensure_ca


def ca(args: argparse.Namespace, paths: AppPaths) -> int:
    """`ca path` prints where the CA certificate is, creating the CA on first use."""
    if args.action == "path":
        out(str(ensure_ca(ensure_private_dir(paths.confdir))))
        return 0
    raise AppError("`ca export` arrives with the CA guide; until then give developers the PEM file "
                   "printed by `copilot-insight ca path`.")

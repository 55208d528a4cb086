"""The proxy's CA as every layer sees it: its description, its file formats, and the reserved check host.

The certificate authority itself lives in `proxy.certs` (mitmproxy's files); the guide, the setup
page, the tray and the connection check only need these values, so they live here, in no one
feature's package.
"""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

CHECK_HOST = "insight.check"
"""The host name the proxy answers itself (never forwarded): a developer's browser checks the set-up there."""
CA_FILE_STEM = "copilot-insight-ca"
"""The CA certificate's file name without its extension (`copilot-insight-ca.pem`, ...)."""

CaFormat = Literal["pem", "cer", "p12"]


@dataclass(frozen=True)
class CaCertificate:
    """What a developer (or the lead) needs to recognise the CA; never the key."""

    common_name: str
    fingerprint: str  # SHA-256, upper-case hex pairs joined by colons
    not_after: datetime  # UTC
    certificate_file: Path  # the certificate-only PEM in the confdir

"""Creates the installation's CA in the confdir with mitmproxy, the first time it is needed.

The CA is made per installation (with this computer's name in it, so a developer can tell it apart
in their trust store) and never shipped or committed. A CA created by an older version (named
"mitmproxy") is kept as it is: replacing it would break every developer who already trusts it.
Reading and exporting it needs no mitmproxy: see `desktop_app.ca.certificate`.
"""

from pathlib import Path

from mitmproxy.certs import CertStore

from desktop_app.ca.certificate import CA_BASENAME, CA_ORGANIZATION, ca_cert_path, ca_key_path, describe_ca, export_ca
from desktop_app.core.ca import CaCertificate, CaFormat

CA_KEY_SIZE = 2048
_MAX_COMMON_NAME = 64  # X.520 upper bound


def ca_common_name(computer: str) -> str:
    """The CA's name: `Copilot Insight CA (<computer>)`, within the 64 characters X.509 allows."""
    name = f"{CA_ORGANIZATION} CA ({computer})" if computer else f"{CA_ORGANIZATION} CA"
    return name if len(name) <= _MAX_COMMON_NAME else name[: _MAX_COMMON_NAME - 1] + ")"


def ensure_ca(confdir: Path, computer: str = "") -> Path:
    """Create the CA in `confdir` unless one exists; return the certificate-only PEM path."""
    if not ca_key_path(confdir).exists():
        CertStore.create_store(confdir, CA_BASENAME, CA_KEY_SIZE, organization=CA_ORGANIZATION,
                               cn=ca_common_name(computer))
    return ca_cert_path(confdir)


class InstallationCa:
    """The `CertificateAuthority` the GUI uses: this installation's CA in `confdir`, made on first use."""

    def __init__(self, confdir: Path, computer: str = "") -> None:
        """Use (and on first use create) the CA in `confdir`, named after `computer`."""
        self._confdir, self._computer = confdir, computer

    def describe(self) -> CaCertificate:
        """Name, fingerprint, expiry and file of the CA."""
        ensure_ca(self._confdir, self._computer)
        return describe_ca(self._confdir)

    def export(self, fmt: CaFormat) -> bytes:
        """The certificate only, in `fmt`."""
        ensure_ca(self._confdir, self._computer)
        return export_ca(self._confdir, fmt)

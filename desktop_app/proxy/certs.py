"""The installation's CA: created on first use in the confdir, read, and exported for developers.

The CA is made per installation (with this computer's name in it, so a developer can tell it apart
in their trust store) and never shipped or committed. Only the certificate is ever exported, as
PEM, DER (`.cer`) or a certificate-only PKCS#12; the private key stays in the private confdir.
A CA created by an older version (named "mitmproxy") is kept as it is: replacing it would
break every developer who already trusts it.
"""

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from mitmproxy.certs import CertStore

from desktop_app.core.ca import CaCertificate, CaFormat
from desktop_app.core.errors import AppError

CA_BASENAME = "mitmproxy"  # the file names mitmproxy loads the CA from
CA_KEY_SIZE = 2048
CA_ORGANIZATION = "Copilot Insight"
_MAX_COMMON_NAME = 64  # X.520 upper bound


def ca_common_name(computer: str) -> str:
    """The CA's name: `Copilot Insight CA (<computer>)`, within the 64 characters X.509 allows."""
    name = f"{CA_ORGANIZATION} CA ({computer})" if computer else f"{CA_ORGANIZATION} CA"
    return name if len(name) <= _MAX_COMMON_NAME else name[: _MAX_COMMON_NAME - 1] + ")"


def ensure_ca(confdir: Path, computer: str = "") -> Path:
    """Create the CA in `confdir` unless one exists; return the certificate-only PEM path."""
    if not (confdir / f"{CA_BASENAME}-ca.pem").exists():
        CertStore.create_store(confdir, CA_BASENAME, CA_KEY_SIZE, organization=CA_ORGANIZATION,
                               cn=ca_common_name(computer))
    return confdir / f"{CA_BASENAME}-ca-cert.pem"


def load_ca(confdir: Path, computer: str = "") -> x509.Certificate:
    """Return the CA certificate (creating the CA on first use)."""
    path = ensure_ca(confdir, computer)
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise AppError(f"The CA certificate at {path} cannot be read. Restore it from a backup, or move the "
                       f"folder {confdir} away to create a new CA (every developer must then trust the new one).",
                       f"{type(exc).__name__}: {exc}") from exc


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint as trust stores show it: `AB:CD:...`."""
    return ":".join(f"{byte:02X}" for byte in cert.fingerprint(hashes.SHA256()))


def describe_ca(confdir: Path, computer: str = "") -> CaCertificate:
    """Name, fingerprint and expiry of the CA (creating it on first use)."""
    cert = load_ca(confdir, computer)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else CA_BASENAME
    return CaCertificate(common_name, fingerprint(cert), cert.not_valid_after_utc,
                         confdir / f"{CA_BASENAME}-ca-cert.pem")


def export_ca(confdir: Path, fmt: CaFormat, computer: str = "") -> bytes:
    """The CA certificate (never the key) as PEM, DER (`cer`) or a certificate-only PKCS#12."""
    return certificate_bytes(load_ca(confdir, computer), fmt)


def certificate_bytes(cert: x509.Certificate, fmt: CaFormat) -> bytes:
    """`cert` alone as PEM, DER (`cer`) or a certificate-only PKCS#12 named after its common name."""
    if fmt == "pem":
        return cert.public_bytes(serialization.Encoding.PEM)
    if fmt == "cer":
        return cert.public_bytes(serialization.Encoding.DER)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    friendly = str(names[0].value).encode() if names else CA_ORGANIZATION.encode()
    return pkcs12.serialize_key_and_certificates(friendly, None, cert, None, serialization.NoEncryption())


class InstallationCa:
    """The `CertificateAuthority` the GUI uses: this installation's CA in `confdir`."""

    def __init__(self, confdir: Path, computer: str = "") -> None:
        """Use (and on first use create) the CA in `confdir`, named after `computer`."""
        self._confdir, self._computer = confdir, computer

    def describe(self) -> CaCertificate:
        """Name, fingerprint, expiry and file of the CA."""
        return describe_ca(self._confdir, self._computer)

    def export(self, fmt: CaFormat) -> bytes:
        """The certificate only, in `fmt`."""
        return export_ca(self._confdir, fmt, self._computer)

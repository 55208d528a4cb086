"""Reads the CA certificate from the confdir and exports it: PEM, DER (`.cer`) or certificate-only PKCS#12.

Only the certificate is ever exported; the private key stays in the private confdir. The CA must exist
(`desktop_app.proxy.certs.ensure_ca` makes it); a missing or damaged one is an `AppError` with the fix.
"""

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from desktop_app.core.ca import CaCertificate, CaFormat
from desktop_app.core.errors import AppError

CA_BASENAME = "mitmproxy"  # the file names mitmproxy loads the CA from
CA_ORGANIZATION = "Copilot Insight"


def ca_key_path(confdir: Path) -> Path:
    """The CA's key and certificate, as mitmproxy keeps them (never exported)."""
    return confdir / f"{CA_BASENAME}-ca.pem"


def ca_cert_path(confdir: Path) -> Path:
    """The certificate-only PEM file of the CA."""
    return confdir / f"{CA_BASENAME}-ca-cert.pem"


def load_ca(confdir: Path) -> x509.Certificate:
    """Return the CA certificate in `confdir`."""
    path = ca_cert_path(confdir)
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise AppError(f"The CA certificate at {path} cannot be read. Restore it from a backup, or move the "
                       f"folder {confdir} away to create a new CA (every developer must then trust the new one).",
                       f"{type(exc).__name__}: {exc}") from exc


def fingerprint(cert: x509.Certificate) -> str:
    """The SHA-256 fingerprint as trust stores show it: `AB:CD:...`."""
    return ":".join(f"{byte:02X}" for byte in cert.fingerprint(hashes.SHA256()))


def describe_ca(confdir: Path) -> CaCertificate:
    """Name, fingerprint, expiry and file of the CA."""
    cert = load_ca(confdir)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(names[0].value) if names else CA_BASENAME
    return CaCertificate(common_name, fingerprint(cert), cert.not_valid_after_utc, ca_cert_path(confdir))


def export_ca(confdir: Path, fmt: CaFormat) -> bytes:
    """The CA certificate (never the key) as PEM, DER (`cer`) or a certificate-only PKCS#12."""
    return certificate_bytes(load_ca(confdir), fmt)


def certificate_bytes(cert: x509.Certificate, fmt: CaFormat) -> bytes:
    """`cert` alone as PEM, DER (`cer`) or a certificate-only PKCS#12 named after its common name."""
    if fmt == "pem":
        return cert.public_bytes(serialization.Encoding.PEM)
    if fmt == "cer":
        return cert.public_bytes(serialization.Encoding.DER)
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    friendly = str(names[0].value).encode() if names else CA_ORGANIZATION.encode()
    return pkcs12.serialize_key_and_certificates(friendly, None, cert, None, serialization.NoEncryption())

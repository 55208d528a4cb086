"""Throw-away test PKI for the fake Copilot upstream.

This module owns creating a short-lived CA plus one leaf certificate (valid
for every Copilot host name the proxy intercepts, ``localhost`` and
``127.0.0.1``) and writing them as PEM files into a caller-supplied
directory.  It uses :mod:`cryptography` only and never touches the real trust
store.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_COMMON_NAME = "Copilot Insight Test Upstream CA"
LEAF_COMMON_NAME = "api.githubcopilot.com"
LEAF_DNS_NAMES: tuple[str, ...] = (
    "api.githubcopilot.com",
    "*.githubcopilot.com",
    "*.individual.githubcopilot.com",
    "*.business.githubcopilot.com",
    "*.enterprise.githubcopilot.com",
    "copilot-proxy.githubusercontent.com",
    "copilot-telemetry.githubusercontent.com",
    "passthrough.example",
    "localhost",
)
LEAF_IP_ADDRESSES: tuple[str, ...] = ("127.0.0.1",)
_VALIDITY = dt.timedelta(days=2)
_CLOCK_SKEW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class TestPki:
    """Paths of the PEM files written by :func:`make_test_pki`."""

    __test__ = False  # not a pytest test class despite the name

    ca_cert: Path
    leaf_cert: Path
    leaf_key: Path


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Copilot Insight Tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _make_ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = _name(CA_COMMON_NAME)
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        _builder(name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )


def _subject_alt_names() -> x509.SubjectAlternativeName:
    dns: list[x509.GeneralName] = [x509.DNSName(name) for name in LEAF_DNS_NAMES]
    ips: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in LEAF_IP_ADDRESSES]
    return x509.SubjectAlternativeName(dns + ips)


def _make_leaf(
    key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey
) -> x509.Certificate:
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    return (
        _builder(_name(LEAF_COMMON_NAME), ca_cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_subject_alt_names(), critical=False)
        .add_extension(aki, critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def make_test_pki(directory: Path) -> TestPki:
    """Create a fresh CA and leaf certificate in ``directory``.

    Existing files are overwritten.  ``leaf.pem`` holds the leaf followed by
    the CA certificate (full chain); ``ca.pem`` holds only the CA.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, leaf_key = _new_key(), _new_key()
    ca_cert = _make_ca(ca_key)
    leaf_cert = _make_leaf(leaf_key, ca_cert, ca_key)
    pki = TestPki(
        ca_cert=directory / "ca.pem",
        leaf_cert=directory / "leaf.pem",
        leaf_key=directory / "leaf-key.pem",
    )
    pki.ca_cert.write_bytes(_cert_pem(ca_cert))
    pki.leaf_cert.write_bytes(_cert_pem(leaf_cert) + _cert_pem(ca_cert))
    pki.leaf_key.write_bytes(_key_pem(leaf_key))
    pki.leaf_key.chmod(0o600)
    return pki

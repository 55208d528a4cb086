"""The installation's CA: created with this computer's name, kept when it exists, exported without its key."""

import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from cryptography.x509.oid import NameOID
from mitmproxy.certs import CertStore

from desktop_app.ca.certificate import CA_ORGANIZATION, describe_ca, export_ca, load_ca
from desktop_app.core.errors import AppError
from desktop_app.proxy.certs import InstallationCa, ca_common_name, ensure_ca


@pytest.fixture
def confdir(tmp_path):
    return tmp_path / "conf"


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_a_new_ca_is_named_after_this_computer_and_the_product(confdir):
    cert = x509.load_pem_x509_certificate(ensure_ca(confdir, "lead-pc").read_bytes())
    assert _cn(cert) == "Copilot Insight CA (lead-pc)"
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == CA_ORGANIZATION
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # mitmproxy itself loads it: the key file it needs is there and matches.
    store = CertStore.from_store(str(confdir), "mitmproxy", 2048)
    assert store.default_ca.fingerprint() == cert.fingerprint(cert.signature_hash_algorithm)


def test_an_existing_ca_is_never_replaced(confdir):
    CertStore.create_store(confdir, "mitmproxy", 2048)  # as an older version (or mitmproxy) made it
    before = (confdir / "mitmproxy-ca.pem").read_bytes()
    ensure_ca(confdir, "lead-pc")
    assert (confdir / "mitmproxy-ca.pem").read_bytes() == before
    assert describe_ca(confdir).common_name == "mitmproxy"


def test_long_computer_names_still_make_a_valid_common_name():
    name = ca_common_name("x" * 200)
    assert len(name) == 64
    assert name.startswith("Copilot Insight CA (") and name.endswith(")")
    assert ca_common_name("") == "Copilot Insight CA"


def test_describe_gives_the_sha256_fingerprint_trust_stores_show(confdir):
    ensure_ca(confdir, "lead-pc")
    ca = describe_ca(confdir)
    der = load_ca(confdir).public_bytes(Encoding.DER)
    expected = ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())
    assert ca.fingerprint == expected
    assert len(ca.fingerprint.split(":")) == 32
    assert ca.certificate_file == confdir / "mitmproxy-ca-cert.pem"
    assert ca.not_after.utcoffset() is not None


@pytest.mark.parametrize("fmt", ["pem", "cer", "p12"])
def test_every_export_is_the_ca_certificate_and_never_the_key(confdir, fmt):
    ensure_ca(confdir, "lead-pc")
    original = load_ca(confdir)
    data = export_ca(confdir, fmt)
    assert b"PRIVATE KEY" not in data
    if fmt == "pem":
        assert x509.load_pem_x509_certificate(data) == original
    elif fmt == "cer":
        assert x509.load_der_x509_certificate(data) == original
    else:
        bundle = pkcs12.load_pkcs12(data, None)
        assert bundle.key is None
        assert [c.certificate for c in bundle.additional_certs] == [original]
        assert bundle.additional_certs[0].friendly_name == b"Copilot Insight CA (lead-pc)"


def test_the_gui_view_of_the_ca_matches_the_functions(confdir):
    ca = InstallationCa(confdir, "lead-pc")
    assert ca.describe() == describe_ca(confdir)  # the GUI's view made the CA on first use
    assert ca.export("cer") == export_ca(confdir, "cer")


def test_a_missing_ca_is_a_clear_error_and_reading_never_creates_one(confdir):
    with pytest.raises(AppError, match="cannot be read"):
        describe_ca(confdir)
    assert not confdir.exists()


def test_an_unreadable_certificate_is_a_clear_error(confdir):
    ensure_ca(confdir)
    (confdir / "mitmproxy-ca-cert.pem").write_text("not a certificate")
    with pytest.raises(AppError, match="cannot be read") as caught:
        describe_ca(confdir)
    assert "every developer must then trust the new one" in str(caught.value)

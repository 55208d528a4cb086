"""`copilot-insight ca path|export` as a script runs it: files that parse, the fingerprint, clear errors."""

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.e2e.served import cli, serve_env


def test_ca_path_prints_the_certificate_it_created(tmp_path):
    env = serve_env(tmp_path)
    result = cli("ca", "path", env=env)
    assert result.returncode == 0, result.stderr
    path = result.stdout.strip()
    cert = x509.load_pem_x509_certificate(Path(path).read_bytes())
    assert "CN=Copilot Insight CA (" in cert.subject.rfc4514_string()
    assert cli("ca", "path", env=env).stdout == result.stdout  # the same CA the second time


def test_ca_export_writes_each_format_and_prints_the_fingerprint(tmp_path):
    env = serve_env(tmp_path)
    written = {}
    for fmt in ("pem", "cer", "p12"):
        target = tmp_path / f"out.{fmt}"
        result = cli("ca", "export", "--format", fmt, "-o", str(target), env=env)
        assert result.returncode == 0, result.stderr
        assert "SHA-256 fingerprint: " in result.stdout
        written[fmt] = target.read_bytes()
        assert b"PRIVATE KEY" not in written[fmt]
    pem = x509.load_pem_x509_certificate(written["pem"])
    assert x509.load_der_x509_certificate(written["cer"]) == pem
    bundle = pkcs12.load_pkcs12(written["p12"], None)
    assert bundle.key is None and bundle.additional_certs[0].certificate == pem
    fingerprint = result.stdout.split("SHA-256 fingerprint: ")[1].strip()
    assert bytes.fromhex(fingerprint.replace(":", "")) == pem.fingerprint(hashes.SHA256())


def test_ca_export_without_a_file_or_into_a_missing_folder_says_what_to_do(tmp_path):
    env = serve_env(tmp_path)
    missing = cli("ca", "export", "--format", "pem", env=env)
    assert missing.returncode != 0
    assert "-o FILE" in missing.stderr
    nowhere = cli("ca", "export", "--format", "cer", "-o", str(tmp_path / "no" / "such" / "x.cer"), env=env)
    assert nowhere.returncode != 0
    assert "Could not write" in nowhere.stderr and "Traceback" not in nowhere.stderr

"""The setup page's HTTP server over real sockets: routes, downloads, headers, hosts and robustness."""

import contextlib
import hashlib
import socket
import time

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

from desktop_app.ca.certificate import describe_ca
from desktop_app.core.errors import ProxyStartError
from desktop_app.core.guide import ca_guide
from desktop_app.core.guide.ca_guide import SYSTEM_KEYS, GuideContext
from desktop_app.core.guide.setup_page import LINUX_KEYS, SetupPage
from desktop_app.proxy.certs import ensure_ca
from desktop_app.setup_page import server as setup_server
from desktop_app.setup_page.server import SECURITY_HEADERS, SetupServer, request_host
from tests.core.guide.test_setup_page import open_keys

PROXY_HOST, PROXY_PORT = "proxy.example", 8080
DOWNLOADS = ("/ca/copilot-insight-ca.pem", "/ca/copilot-insight-ca.cer", "/ca/copilot-insight-ca.p12")
WINDOWS_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")
MACOS_UA = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Safari/605.1.15")
UBUNTU_FIREFOX_UA = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
LINUX_CHROME_UA = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/124.0.0.0 Safari/537.36")
TRICKY_PATHS = (
    "/ca/mitmproxy-ca.pem", "/mitmproxy-ca.pem", "/../mitmproxy-ca.pem", "/ca/../../mitmproxy-ca.pem",
    "/%2e%2e/mitmproxy-ca.pem", "/ca/copilot-insight-ca.pem/../../mitmproxy-ca.p12", "/settings.json",
    "/usage.db", "/ca/", "/ca", "/ca/copilot-insight-ca.key", "/ca/mitmproxy-ca.p12", "/ca/copilot-insight-ca.PEM",
    "/ca/%63opilot-insight-ca.pem", "//mitmproxy-ca.pem", "/index.html",
)


@pytest.fixture(scope="module")
def confdir(tmp_path_factory):
    conf = tmp_path_factory.mktemp("setup") / "conf"
    ensure_ca(conf, "test-pc")
    return conf


@pytest.fixture(scope="module")
def page(confdir):
    ca = describe_ca(confdir)
    return SetupPage(GuideContext(PROXY_HOST, PROXY_PORT, ca.common_name, ca.fingerprint), "metadata", 30, "1.2.3")


@pytest.fixture(scope="module")
def server(confdir, page):
    instance = SetupServer(confdir, page, "127.0.0.1", 0)
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def client(server):
    host, port = server.address
    with httpx.Client(base_url=f"http://{host}:{port}", trust_env=False, timeout=5.0) as http:
        yield http


def raw_request(server: SetupServer, data: bytes, timeout: float = 5.0) -> bytes:
    """Send `data` as is and read the whole answer (the server closes after one response)."""
    with socket.create_connection(server.address, timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def ca_certificate(confdir) -> x509.Certificate:
    return x509.load_pem_x509_certificate((confdir / "mitmproxy-ca-cert.pem").read_bytes())


def detect_os_is_a_placeholder() -> bool:
    return ca_guide.detect_os(WINDOWS_UA) is None


# --- the page ----------------------------------------------------------------------------------


def test_page_is_served_with_the_ca_and_the_downloads(client, page):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert page.context.fingerprint in html
    assert page.context.ca_name in html
    for path in DOWNLOADS:
        assert f'href="{path}"' in html
    assert "<script" not in html.lower()
    assert "PRIVATE KEY" not in html


def test_os_query_overrides_the_user_agent(client):
    html = client.get("/?os=arch", headers={"User-Agent": WINDOWS_UA}).text
    assert open_keys(html) == ["arch"]
    assert open_keys(client.get("/?os=linux").text) == list(LINUX_KEYS)


def test_unknown_os_query_is_ignored(client, monkeypatch):
    monkeypatch.setattr(setup_server, "detect_os", lambda user_agent: None)
    assert open_keys(client.get("/?os=%3Cscript%3E").text) == []
    assert open_keys(client.get("/?os=beos&os=").text) == []


@pytest.mark.parametrize("key", [*SYSTEM_KEYS, "linux"])
def test_the_user_agent_decides_the_open_section(client, monkeypatch, key):
    seen = []
    monkeypatch.setattr(setup_server, "detect_os", lambda user_agent: seen.append(user_agent) or key)
    html = client.get("/", headers={"User-Agent": "Some Browser/1.0"}).text
    assert seen == ["Some Browser/1.0"]
    assert open_keys(html) == (list(LINUX_KEYS) if key == "linux" else [key])


@pytest.mark.skipif(detect_os_is_a_placeholder(), reason="ca_guide.detect_os is still a placeholder")
@pytest.mark.parametrize(("user_agent", "expected"), [
    (WINDOWS_UA, ["windows"]),
    (MACOS_UA, ["macos"]),
    (UBUNTU_FIREFOX_UA, ["debian"]),
    (LINUX_CHROME_UA, list(LINUX_KEYS)),
], ids=["windows", "macos", "ubuntu-firefox", "linux-chrome"])
def test_real_user_agents_open_their_section(client, user_agent, expected):
    html = client.get("/", headers={"User-Agent": user_agent}).text
    assert open_keys(html) == expected


def test_page_uses_the_host_the_browser_used(client):
    html = client.get("/", headers={"Host": "192.0.2.7:8081"}).text
    assert f"192.0.2.7:{PROXY_PORT}" in html
    assert PROXY_HOST not in html


def test_page_uses_an_ipv6_host_in_brackets(client):
    html = client.get("/", headers={"Host": "[fd00::7]:8081"}).text
    assert f"[fd00::7]:{PROXY_PORT}" in html


def test_hostile_host_header_falls_back_to_the_default_host(server):
    answer = raw_request(server, b'GET / HTTP/1.1\r\nHost: "><script>alert(1)</script>\r\n'
                                 b"Connection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 200")
    assert b"<script" not in answer.lower()
    assert f"{PROXY_HOST}:{PROXY_PORT}".encode() in answer


def test_missing_host_header_falls_back_to_the_default_host(server):
    answer = raw_request(server, b"GET / HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 200")
    assert f"{PROXY_HOST}:{PROXY_PORT}".encode() in answer


@pytest.mark.parametrize(("header", "expected"), [
    ("192.0.2.7:8081", "192.0.2.7"),
    ("Lead-PC.local", "lead-pc.local"),
    ("lead-pc.example.:80", "lead-pc.example"),
    ("[fd00::7]:8081", "fd00::7"),
    ("[FD00:0::7]", "fd00::7"),
    ("", None),
    (None, None),
    ("fd00::7", None),
    ("[fd00::7%eth0]:8081", None),
    ("[fd00::7]x", None),
    ("[not-ipv6]", None),
    ("host:port", None),
    ("host:123456", None),
    ("-host", None),
    ("a_b.example", None),
    ("a b", None),
    ('"><script>', None),
    ("a" * 64 + ".example", None),
    (".", None),
])
def test_request_host(header, expected):
    assert request_host(header) == expected


# --- downloads ---------------------------------------------------------------------------------


def test_downloads_are_the_ca_certificate_only(client, confdir, page):
    expected = ca_certificate(confdir)
    pem = client.get(DOWNLOADS[0])
    cer = client.get(DOWNLOADS[1])
    p12 = client.get(DOWNLOADS[2])
    assert [r.status_code for r in (pem, cer, p12)] == [200, 200, 200]
    assert pem.headers["content-type"] == "application/x-pem-file"
    assert cer.headers["content-type"] == "application/pkix-cert"
    assert p12.headers["content-type"] == "application/x-pkcs12"
    for response, ext in ((pem, "pem"), (cer, "cer"), (p12, "p12")):
        assert response.headers["content-disposition"] == f'attachment; filename="copilot-insight-ca.{ext}"'
        assert b"PRIVATE KEY" not in response.content
    assert x509.load_pem_x509_certificate(pem.content) == expected
    assert x509.load_der_x509_certificate(cer.content) == expected
    bundle = pkcs12.load_pkcs12(p12.content, None)
    assert bundle.key is None
    certificates = [c.certificate for c in ([bundle.cert] if bundle.cert else []) + bundle.additional_certs]
    assert certificates == [expected]
    digest = hashlib.sha256(expected.public_bytes(Encoding.DER)).hexdigest().upper()
    fingerprint = ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))
    assert fingerprint == page.context.fingerprint
    assert fingerprint in client.get("/").text


@pytest.mark.parametrize("path", TRICKY_PATHS)
def test_the_key_and_other_files_are_never_served(server, path):
    answer = raw_request(server, f"GET {path} HTTP/1.0\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.0 404")
    assert b"PRIVATE KEY" not in answer
    assert b"BEGIN CERTIFICATE" not in answer


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.text == "User-agent: *\nDisallow: /\n"


def test_unknown_path_is_a_plain_404(client):
    response = client.get("/nothing?secret=1")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")


# --- methods and headers -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "BREW"])
def test_other_methods_are_405(client, method):
    response = client.request(method, "/")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    assert response.headers["cache-control"] == "no-store"


def test_head_sends_headers_only(client, server):
    get = client.get("/")
    head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"]
    assert raw_request(server, b"HEAD /ca/copilot-insight-ca.pem HTTP/1.0\r\n\r\n").endswith(b"\r\n\r\n")


@pytest.mark.parametrize("path", ["/", DOWNLOADS[0], DOWNLOADS[2], "/robots.txt", "/missing"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["server"] == "Copilot-Insight"
    assert "python" not in response.headers["server"].lower()


def test_stdlib_errors_carry_the_security_headers(server):
    answer = raw_request(server, b"GET / HTTP/2.0\r\n\r\n")
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.0 505")
    assert "X-Content-Type-Options: nosniff" in head
    assert "Python" not in head


def test_http_0_9_gets_no_answer(server):
    assert raw_request(server, b"GET /\r\n\r\n") == b""


@pytest.mark.parametrize("line", [b"NONSENSE", b"GET / HTTP/1.0 extra", b"GET / NOPE", b"POST /"])
def test_bad_request_lines_get_a_400_with_headers(server, line):
    answer = raw_request(server, line + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 400")
    assert b"Content-Security-Policy: default-src 'none'" in answer


def test_a_too_long_request_line_is_refused(server):
    answer = raw_request(server, b"GET /" + b"a" * 70000 + b" HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.0 414")


def test_logs_never_contain_the_query(client, caplog):
    caplog.set_level("DEBUG", logger="desktop_app.setup_page.server")
    client.get("/?os=windows&token=hunter2")
    client.get("/missing?token=hunter2")
    assert "GET /" in caplog.text
    assert "hunter2" not in caplog.text


# --- lifecycle and robustness ------------------------------------------------------------------


def test_a_port_in_use_is_a_clear_error(confdir, page):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = SetupServer(confdir, page, "127.0.0.1", port)
        with pytest.raises(ProxyStartError) as error:
            server.start()
    assert str(port) in error.value.user_message
    assert server.address is None
    server.stop()


def test_an_address_of_another_computer_is_a_clear_error(confdir, page):
    with pytest.raises(ProxyStartError):
        SetupServer(confdir, page, "192.0.2.1", 0).start()


def test_address_reports_the_real_port_and_stop_is_idempotent(confdir, page):
    server = SetupServer(confdir, page, "127.0.0.1", 0)
    assert server.address is None
    host, port = server.start()
    assert (host, port) == server.address
    assert port != 0
    assert server.start() == (host, port)
    server.stop()
    server.stop()
    assert server.address is None
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, port), timeout=2):
        pass


def test_stop_closes_connections_that_are_still_open(confdir, page):
    server = SetupServer(confdir, page, "127.0.0.1", 0)
    server.start()
    idle = socket.create_connection(server.address, timeout=5)
    try:
        time.sleep(0.1)
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 3
        assert idle.recv(1) == b""
    finally:
        idle.close()


def test_all_ipv4_interfaces(confdir, page):
    server = SetupServer(confdir, page, "0.0.0.0", 0)
    host, port = server.start()
    try:
        assert host == "0.0.0.0"
        with httpx.Client(trust_env=False, timeout=5.0) as http:
            assert http.get(f"http://127.0.0.1:{port}/robots.txt").status_code == 200
    finally:
        server.stop()


def test_ipv6_loopback(confdir, page):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    server = SetupServer(confdir, page, "::1", 0)
    try:
        host, port = server.start()
    except ProxyStartError:
        pytest.skip("IPv6 loopback not available")
    try:
        with httpx.Client(trust_env=False, timeout=5.0) as http:
            response = http.get(f"http://[::1]:{port}/")
        assert response.status_code == 200
        assert f"[::1]:{PROXY_PORT}" in response.text
        assert host == "::1"
    finally:
        server.stop()


@pytest.mark.parametrize("opening", [b"", b"GET / HTTP/1.0\r\nX-Slow: "], ids=["silent", "slow-headers"])
def test_idle_connections_do_not_lock_developers_out(server, client, caplog, opening):
    caplog.set_level("DEBUG", logger="desktop_app.setup_page.server")
    idle: list[socket.socket] = []
    try:
        for _ in range(40):
            idle.append(socket.create_connection(server.address, timeout=5))
            idle[-1].sendall(opening)
        time.sleep(0.2)
        started = time.monotonic()
        response = client.get("/", timeout=5.0)
        assert response.status_code == 200
        assert time.monotonic() - started < 3
        assert "closing an idle connection" in caplog.text
    finally:
        for sock in idle:
            with contextlib.suppress(OSError):
                sock.close()


def test_many_requests_one_after_another(client):
    for _ in range(50):
        assert client.get("/robots.txt").status_code == 200

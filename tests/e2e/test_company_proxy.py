"""`serve --upstream-proxy URL [--upstream-ca FILE]`: every upstream connection through a company proxy.

A real `serve`, a real client, and a second proxy on loopback playing the company's
(tests/fakes/connect_proxy.py): it routes api.githubcopilot.com to the fake Copilot upstream, wants
its own Basic login, and in one test inspects TLS with a CA of its own, which only `--upstream-ca`
makes the proxy trust. The company password never appears in a log.
"""

import httpx

from tests.e2e.harness import COPILOT_API, chat_body
from tests.e2e.served import cli, start_serve
from tests.fakes.certs import make_test_pki
from tests.fakes.connect_proxy import FakeCompanyProxy
from tests.fakes.sockets import closed_port

CORP_USER, CORP_PASSWORD = "svc-copilot", "c0rp:pa$$word"  # a colon and a dollar: URL-encoded in the URL
CORP_PASSWORD_IN_URL = "c0rp%3Apa%24%24word"


def _logs(served) -> str:
    files = "".join(p.read_text(errors="replace") for p in (served.data / "logs").rglob("*.log"))
    return served.log.drain() + files


def test_all_upstream_traffic_goes_through_the_company_proxy_with_its_login(tmp_path, pki, upstream):
    routes = {"api.githubcopilot.com": ("127.0.0.1", upstream.port)}
    with FakeCompanyProxy(routes, credentials=(CORP_USER, CORP_PASSWORD)) as company:
        url = f"http://{CORP_USER}:{CORP_PASSWORD_IN_URL}@127.0.0.1:{company.port}"
        served = start_serve(tmp_path, pki, upstream, redirect=False,
                             extra_args=("--upstream-proxy", url, "--upstream-ca", str(pki.ca_cert)))
        try:
            with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
                reply = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False))
            served.log.wait_for("alice model_call")
        finally:
            assert served.stop() == 0
    assert reply.status_code == 200
    assert [s.target for s in company.seen] == ["api.githubcopilot.com:443"]
    assert company.seen[0].authorization == company.expected_authorization
    logs = _logs(served)
    assert f"through the company proxy http://127.0.0.1:{company.port} as {CORP_USER}." in logs
    assert CORP_PASSWORD not in logs and CORP_PASSWORD_IN_URL not in logs
    assert served.passwords["alice"] not in "".join(s.authorization for s in company.seen)


def test_a_tls_inspecting_company_proxy_works_only_with_its_ca(tmp_path, pki, upstream):
    company_pki = make_test_pki(tmp_path / "company")  # the company CA re-signs every Copilot host
    routes = {"api.githubcopilot.com": ("127.0.0.1", upstream.port)}
    inspecting = (company_pki.leaf_cert, company_pki.leaf_key, pki.ca_cert)
    with FakeCompanyProxy(routes, inspect=inspecting) as company:
        url = f"http://127.0.0.1:{company.port}"
        trusted = start_serve(tmp_path / "trusting", pki, upstream, redirect=False,
                              extra_args=("--upstream-proxy", url, "--upstream-ca", str(company_pki.ca_cert)))
        try:
            with httpx.Client(proxy=trusted.proxy_url("alice"), verify=trusted.trust(), timeout=10) as client:
                good = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False))
        finally:
            assert trusted.stop() == 0
        untrusted = start_serve(tmp_path / "untrusting", pki, upstream, redirect=False,
                                extra_args=("--upstream-proxy", url))
        try:
            with httpx.Client(proxy=untrusted.proxy_url("alice"), verify=untrusted.trust(), timeout=10) as client:
                bad = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False))
            untrusted.log.wait_for("could not reach the company proxy")
        finally:
            assert untrusted.stop() == 0
    assert good.status_code == 200 and "choices" in good.json()
    assert bad.status_code == 502
    assert bad.text.startswith(f"Copilot Insight could not reach the company proxy 127.0.0.1:{company.port} on the "
                               "way to api.githubcopilot.com: its TLS certificate was not accepted.")


def test_an_unreachable_company_proxy_is_named_as_such(tmp_path, pki, upstream):
    port = closed_port()
    served = start_serve(tmp_path, pki, upstream, redirect=False,
                         extra_args=("--upstream-proxy", f"http://127.0.0.1:{port}"))
    try:
        with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
            reply = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False))
        served.log.wait_for(f"could not reach the company proxy 127.0.0.1:{port}")
    finally:
        assert served.stop() == 0
    assert reply.status_code == 502
    assert f"the company proxy 127.0.0.1:{port}" in reply.text and "connection was refused" in reply.text


def test_a_bad_company_proxy_url_is_refused_in_words(tmp_path, pki, upstream):
    env = start_serve.__globals__["serve_env"](tmp_path)
    result = cli("serve", "--listen-port", str(closed_port()), "--upstream-proxy", "socks5://proxy.corp:1080",
                 env=env)
    assert result.returncode != 0
    assert "must start with http:// or https://" in result.stderr


def test_a_company_proxy_that_refuses_the_login_is_reported(tmp_path, pki, upstream):
    routes = {"api.githubcopilot.com": ("127.0.0.1", upstream.port)}
    with FakeCompanyProxy(routes, credentials=(CORP_USER, CORP_PASSWORD)) as company:
        wrong = f"http://{CORP_USER}:wrong@127.0.0.1:{company.port}"
        served = start_serve(tmp_path, pki, upstream, redirect=False,
                             extra_args=("--upstream-proxy", wrong, "--upstream-ca", str(pki.ca_cert)))
        try:
            with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
                first = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False))
                second = client.post(f"{COPILOT_API}/chat/completions", json=chat_body(stream=False))
            line = served.log.wait_for("could not reach the company proxy")
        finally:
            assert served.stop() == 0
    assert first.status_code == second.status_code == 502
    assert "the company proxy refused the connection" in line
    assert second.text.startswith(f"Copilot Insight could not reach the company proxy 127.0.0.1:{company.port} on "
                                  "the way to api.githubcopilot.com: the company proxy refused the connection.")
    assert "wrong" not in _logs(served)

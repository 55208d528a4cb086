"""The setup page beside `serve`: on its own port, off on request, and never a reason for the proxy not to run."""

import socket

import httpx

from tests.e2e.served import free_port, start_serve


def test_serve_logs_where_developers_find_the_setup_page(tmp_path, pki, upstream):
    port = free_port()
    served = start_serve(tmp_path, pki, upstream, extra_args=("--setup-port", str(port)))
    try:
        served.log.wait_for(f"Setup page for developers: http://127.0.0.1:{port}/")
        with httpx.Client(trust_env=False, timeout=10) as browser:
            page = browser.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200 and "Copilot Insight" in page.text
        assert f"127.0.0.1:{served.port}" in page.text  # the proxy the developer must use
    finally:
        assert served.stop() == 0


def test_a_taken_setup_port_is_reported_and_the_proxy_runs_anyway(tmp_path, pki, upstream):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        served = start_serve(tmp_path, pki, upstream, extra_args=("--setup-port", str(port)))
        try:
            line = served.log.wait_for("The setup page for developers could not start")
            assert f"Port {port}" in line and "The proxy runs without it" in line
            with httpx.Client(proxy=served.proxy_url("alice"), verify=served.trust(), timeout=10) as client:
                assert client.get("https://insight.check/").text.startswith("Connected as alice")
        finally:
            assert served.stop() == 0


def test_no_setup_page_means_nothing_listens_beside_the_proxy(tmp_path, pki, upstream):
    port = free_port()
    served = start_serve(tmp_path, pki, upstream, extra_args=("--setup-port", str(port), "--no-setup-page"))
    try:
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        log = served.log.drain()
        assert served.stop() == 0
    assert "Setup page for developers" not in log

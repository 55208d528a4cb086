"""Connection events from mitmproxy's words: refused logins and client handshakes that failed."""

from desktop_app.core.team.credentials import AuthResult
from desktop_app.proxy.auth import AuthFailure
from desktop_app.proxy.diagnostics import handshake_detail, refusal_event

# What mitmproxy 12.3.1 sets as the client connection's error (proxy/layers/tls.py, on_handshake_error).
UNKNOWN_CA = "The client does not trust the proxy's certificate for api.githubcopilot.com (tlsv1 alert unknown ca)"
HUNG_UP = ("The client disconnected during the handshake. If this happens consistently for insight.check, this may "
           "indicate that the client does not trust the proxy's certificate.")
OTHER = ("The client may not trust the proxy's certificate for api.githubcopilot.com "
         "([('SSL routines', '', 'sslv3 alert handshake failure')])")


def test_an_alert_about_the_certificate_means_the_ca_is_not_trusted():
    assert handshake_detail(UNKNOWN_CA) == ("untrusted_ca", "tlsv1 alert unknown ca")
    assert handshake_detail("... (sslv3 alert bad certificate)")[0] == "untrusted_ca"


def test_a_client_that_hangs_up_mid_handshake_is_taken_for_an_untrusting_node_client():
    kind, detail = handshake_detail(HUNG_UP)
    assert kind == "untrusted_ca"
    assert "Node.js" in detail and "VS Code" in detail


def test_other_failures_keep_the_tls_librarys_reason():
    kind, detail = handshake_detail(OTHER)
    assert kind == "tls_failed"
    assert detail == "[('SSL routines', '', 'sslv3 alert handshake failure')]"
    assert handshake_detail("x" * 500)[1] == "x" * 200


def test_refusals_are_named_by_what_went_wrong():
    def refused(username, result):
        return refusal_event(AuthFailure(username, result, "192.0.2.7", "api.githubcopilot.com", 1_764_000_000.0))

    assert refused("bob", AuthResult.WRONG_PASSWORD).kind == "wrong_password"
    assert refused("carol", AuthResult.DISABLED).kind == "disabled"
    assert refused("mallory", AuthResult.UNKNOWN_USER).kind == "unknown_user"
    assert refused(None, AuthResult.WRONG_PASSWORD).kind == "unknown_user"  # a header that did not parse
    event = refused("x" * 100, AuthResult.UNKNOWN_USER)
    assert len(event.username) == 64 and event.source == "192.0.2.7" and event.at.tzinfo is not None

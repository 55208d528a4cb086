"""All upstream traffic through a company proxy: mitmproxy's upstream mode, its login, and its CA.

`company_proxy_setup` turns an `UpstreamProxy` (and an optional extra CA for a TLS-inspecting company
proxy) into the mitmproxy options and the one part (proxy hooks) that make it so:
- `mode = upstream:http://host:port`: every tunnel and request leaves through the company proxy;
- `CompanyProxyLogin`: Basic credentials on each CONNECT to it (and on plain-HTTP requests), added
  after our own authentication removed the developer's header, so a developer's password never
  reaches the company proxy and the company password never reaches a log;
- `ssl_verify_upstream_trusted_ca`: the public roots plus the extra CA, in one bundle in the
  confdir, because mitmproxy trusts exactly one file.
"""

from dataclasses import dataclass, field
from pathlib import Path

import certifi
from cryptography import x509
from mitmproxy import http
from mitmproxy.proxy import mode_specs

from desktop_app.core.errors import ConfigError
from desktop_app.core.fileio import atomic_write_bytes
from desktop_app.core.upstream_proxy import UpstreamProxy

PROXY_AUTH_HEADER = "Proxy-Authorization"
TRUST_BUNDLE = "upstream-trust.pem"


class CompanyProxyLogin:
    """Proxy hooks (folded, see `chain`), after authentication: log in to the company proxy for the developer."""

    def __init__(self, authorization: str) -> None:
        """Send `authorization` (a `Basic …` value) to the company proxy."""
        self._authorization = authorization

    def http_connect_upstream(self, flow: http.HTTPFlow) -> None:
        """The CONNECT that opens a tunnel through the company proxy."""
        flow.request.headers[PROXY_AUTH_HEADER] = self._authorization

    def request(self, flow: http.HTTPFlow) -> None:
        """A plain-HTTP request, which upstream mode sends to the company proxy as it is."""
        if isinstance(flow.client_conn.proxy_mode, mode_specs.UpstreamMode) and flow.request.scheme == "http" \
                and flow.response is None:
            flow.request.headers[PROXY_AUTH_HEADER] = self._authorization


@dataclass(frozen=True)
class CompanyProxySetup:
    """The mitmproxy options and addons for a company proxy (empty without one)."""

    options: dict[str, object] = field(default_factory=dict)
    addons: tuple[object, ...] = ()


def trust_bundle(confdir: Path, extra_ca: Path) -> Path:
    """Write the public roots and `extra_ca` into one PEM file in `confdir`; return its path.

    Raises:
        ConfigError: `extra_ca` cannot be read or holds no PEM certificate.
    """
    try:
        extra = extra_ca.read_bytes()
    except OSError as exc:
        raise ConfigError(f"The company proxy's CA file {extra_ca} cannot be read: {exc.strerror}.") from exc
    try:
        certificates = x509.load_pem_x509_certificates(extra)
    except ValueError:
        certificates = []
    if not certificates:
        raise ConfigError(f"The company proxy's CA file {extra_ca} holds no PEM certificate (a file that starts "
                          "with -----BEGIN CERTIFICATE-----); ask your IT department for it in PEM format.")
    bundle = confdir / TRUST_BUNDLE
    atomic_write_bytes(bundle, Path(certifi.where()).read_bytes() + b"\n" + extra)
    return bundle


def company_proxy_setup(proxy: UpstreamProxy | None, extra_ca: Path | None, confdir: Path) -> CompanyProxySetup:
    """What makes upstream traffic go through `proxy`, trusting `extra_ca` too."""
    options: dict[str, object] = {}
    addons: list[object] = []
    if proxy is not None:
        options["mode"] = [proxy.mode]
        authorization = proxy.authorization
        if authorization is not None:
            addons.append(CompanyProxyLogin(authorization))
    if extra_ca is not None:
        options["ssl_verify_upstream_trusted_ca"] = str(trust_bundle(confdir, extra_ca))
    return CompanyProxySetup(options, tuple(addons))

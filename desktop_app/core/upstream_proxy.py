"""A company proxy that all upstream traffic goes through: its URL, read once, and shown without secrets.

`serve --upstream-proxy URL` and the Settings field take `http://[user:password@]host:port` (or
`https://`); `parse_upstream_proxy` turns it into an `UpstreamProxy` or says, in words, what is wrong.
The password stays in the object for the proxy's `Proxy-Authorization` header; everything that is
shown or logged uses `display`, which never contains it.
"""

import base64
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from desktop_app.core.errors import ConfigError

DEFAULT_PORTS = {"http": 8080, "https": 443}


@dataclass(frozen=True)
class UpstreamProxy:
    """Where the company proxy listens and how to log in to it (credentials optional)."""

    scheme: str  # http or https (TLS to the company proxy itself)
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of the company proxy."""
        return self.host, self.port

    @property
    def mode(self) -> str:
        """The mitmproxy `mode` that forwards everything to this proxy (never with credentials)."""
        return f"upstream:{self.scheme}://{self._authority}"

    @property
    def display(self) -> str:
        """The proxy as people and logs may see it: "http://host:port as user", never the password."""
        return f"{self.scheme}://{self._authority}" + (f" as {self.username}" if self.username else "")

    @property
    def authorization(self) -> str | None:
        """The `Proxy-Authorization` value for the company proxy, or None without credentials."""
        if not self.username and not self.password:
            return None
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"

    @property
    def _authority(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def parse_upstream_proxy(url: str) -> UpstreamProxy:
    """Read `http://[user:password@]host[:port]`; raise `ConfigError` saying what is wrong (never with the password)."""
    text = url.strip()
    if "://" not in text:
        text = f"http://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"The company proxy address is not valid: {exc}. Use http://host:port, with "
                          "user:password@ before the host if it needs a login.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ConfigError(f"The company proxy address must start with http:// or https:// (found {scheme}://).")
    if not parts.hostname:
        raise ConfigError("The company proxy address has no host name: use http://host:port.")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError("The company proxy address is just http://host:port, without a path.")
    return UpstreamProxy(scheme, parts.hostname, port or DEFAULT_PORTS[scheme], unquote(parts.username or ""),
                         unquote(parts.password or ""))


def split_password(url: str) -> tuple[str, str]:
    """(`url` without its password, the password): for a form that masks the password in a field of its own."""
    parts = urlsplit(url.strip())
    if parts.password is None or "@" not in parts.netloc:
        return url.strip(), ""
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}@{hostport}")), unquote(parts.password)


def join_password(url: str, password: str) -> str:
    """`url` (with a user name, without a password) with `password` put back, URL-encoded."""
    text = url.strip()
    if not password or "@" not in text:
        return text
    parts = urlsplit(text if "://" in text else f"http://{text}")
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{quote(password, safe='')}@{hostport}"))

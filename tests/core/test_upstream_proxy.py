"""The company proxy's URL: read once, credentials kept for the login header, never shown."""

import base64

import pytest

from desktop_app.core.errors import ConfigError
from desktop_app.core.team.settings import ProxySettings, Settings, load_settings, save_settings
from desktop_app.core.upstream_proxy import join_password, parse_upstream_proxy, split_password


def test_a_url_with_credentials():
    proxy = parse_upstream_proxy("http://svc:p%40ss%3Aw0rd@proxy.corp:3128")
    assert (proxy.scheme, proxy.address, proxy.username, proxy.password) == ("http", ("proxy.corp", 3128), "svc",
                                                                              "p@ss:w0rd")
    assert proxy.mode == "upstream:http://proxy.corp:3128"
    assert proxy.authorization == "Basic " + base64.b64encode(b"svc:p@ss:w0rd").decode()
    assert "w0rd" not in proxy.display and "w0rd" not in repr(proxy)
    assert proxy.display == "http://proxy.corp:3128 as svc"


@pytest.mark.parametrize(("url", "expected"), [
    ("proxy.corp:3128", ("http", "proxy.corp", 3128)),
    ("https://proxy.corp", ("https", "proxy.corp", 443)),
    ("http://[::1]:3128", ("http", "::1", 3128)),
])
def test_defaults(url, expected):
    proxy = parse_upstream_proxy(url)
    assert (proxy.scheme, proxy.host, proxy.port) == expected
    assert proxy.authorization is None


@pytest.mark.parametrize(("url", "words"), [
    ("socks5://proxy.corp:1080", "must start with http:// or https://"),
    ("http://proxy.corp:99999", "not valid"),
    ("http://:3128", "no host name"),
    ("http://proxy.corp:3128/path", "without a path"),
])
def test_bad_urls_are_refused_in_words(url, words):
    with pytest.raises(ConfigError) as caught:
        parse_upstream_proxy(url)
    assert words in caught.value.user_message


def test_the_settings_keep_it_and_refuse_a_bad_one(tmp_path):
    path = tmp_path / "settings.json"
    save_settings(path, Settings(proxy=ProxySettings(upstream_proxy="http://proxy.corp:3128",
                                                     upstream_ca="/etc/corp-ca.pem")))
    loaded = load_settings(path)
    assert (loaded.proxy.upstream_proxy, loaded.proxy.upstream_ca) == ("http://proxy.corp:3128", "/etc/corp-ca.pem")
    path.write_text(path.read_text().replace("http://proxy.corp:3128", "ftp://proxy.corp"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert "'proxy.upstream_proxy': The company proxy address must start with http://" in caught.value.user_message


def test_the_password_splits_off_and_joins_back():
    url = "http://svc:p%40ss%3Aw0rd@proxy.corp:3128"
    bare, password = split_password(url)
    assert (bare, password) == ("http://svc@proxy.corp:3128", "p@ss:w0rd")
    assert join_password(bare, password) == url
    assert parse_upstream_proxy(join_password(bare, password)).password == "p@ss:w0rd"
    assert split_password("http://proxy.corp:3128") == ("http://proxy.corp:3128", "")

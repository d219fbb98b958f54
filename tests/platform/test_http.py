"""The one outbound HTTP client refuses private destinations (SSRF) and never follows redirects."""

from contextlib import closing

import pytest

from sprawa.platform.http import BlockedDestination, SafeHttp
from tests.fakes.callback import REDIRECT, FakeCallback


def _client(allow: list[str]) -> closing[SafeHttp]:
    return closing(SafeHttp(allow=allow, timeout=5))


PRIVATE = [
    "http://127.0.0.1/",
    "http://127.1.2.3:8080/x",
    "http://localhost/",
    "http://10.0.0.5/",
    "http://10.255.255.255/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00::1]/",  # unique local
    "http://[fe80::1]/",  # link-local
    "http://2130706433/",  # 127.0.0.1 written as one decimal number
    "http://0x7f000001/",  # ... and in hex
    "http://017700000001/",  # ... and in octal
    "http://167772161/",  # 10.0.0.1
    "http://224.0.0.1/",  # multicast
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[2002:a9fe:a9fe::]/",  # 6to4 around the metadata address
    "http://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo around 127.0.0.1
]


@pytest.fixture
def http():
    client = SafeHttp()
    yield client
    client.close()


@pytest.mark.parametrize("url", PRIVATE)
def test_private_and_encoded_addresses_are_refused(http, url):
    with pytest.raises(BlockedDestination):
        http.resolve(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/", "http:///nohost"])
def test_only_http_urls_with_a_host(http, url):
    with pytest.raises(BlockedDestination):
        http.resolve(url)


def test_a_public_address_is_allowed(http):
    assert http.resolve("https://93.184.215.14/path") == ("93.184.215.14", "93.184.215.14", 443)


def test_a_refused_request_never_connects():
    with FakeCallback() as fake, _client([]) as http:
        with pytest.raises(BlockedDestination):
            http.request("POST", fake.url, content=b"{}")
        with pytest.raises(BlockedDestination):
            http.request("POST", fake.url.replace("127.0.0.1", "2130706433"), content=b"{}")
    assert fake.requests == []


def test_allow_list_lets_exactly_the_named_host_through():
    with FakeCallback() as fake, _client(["127.0.0.1"]) as http:
        assert (
            http.request("POST", fake.url, content=b"{}", headers={"Idempotency-Key": "k"}).status_code == 200
        )
        # The same loopback address spelled differently is not on the list.
        for url in (
            fake.url.replace("127.0.0.1", "2130706433"),
            fake.url.replace("127.0.0.1", "localhost"),
            fake.url.replace("127.0.0.1", "[::ffff:127.0.0.1]"),
        ):
            with pytest.raises(BlockedDestination):
                http.request("POST", url, content=b"{}")
    assert [r.key for r in fake.requests] == ["k"]


def test_allow_list_entry_with_a_port_allows_only_that_port():
    with FakeCallback() as fake, _client([f"127.0.0.1:{fake.port}"]) as http:
        assert http.resolve(fake.url)[0] == "127.0.0.1"
        with pytest.raises(BlockedDestination):
            http.resolve(f"http://127.0.0.1:{fake.port + 1}/")


def test_redirects_are_not_followed():
    with FakeCallback() as target, FakeCallback() as redirector, _client(["127.0.0.1"]) as http:
        redirector.redirect_to = target_url = target.url
        redirector.script(REDIRECT)
        response = http.request("POST", redirector.url, content=b"{}")
        assert response.status_code == 302
        assert response.headers["Location"] == target_url
        assert target.requests == []

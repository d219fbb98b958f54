"""SSRF: outbound HTTP (webhooks, callbacks, media downloads, connector URLs) goes through ``SafeHttp``.

Loopback listeners record every request they receive; ≥ 40 spellings of internal targets (loopback,
private ranges, the link-local metadata address, IPv6-mapped, decimal/octal/hex/short/unicode forms,
userinfo tricks, names that resolve to loopback, redirect chains) must all be refused without a single hit.
The client here is built WITHOUT the test settings' allow-list for 127.0.0.1; only the stand-in for a
public server that answers with redirects is allowed, to prove redirects are never followed.
"""

import socket
import threading
from collections.abc import Iterator
from contextlib import closing, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sprawa.platform.http import BlockedDestination, SafeHttp


@dataclass
class Listener:
    port: int
    hits: list[str] = field(default_factory=list)


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def _serve(
    server_class: type[ThreadingHTTPServer], host: str, port: int, listener: Listener, location: str = ""
):
    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            listener.hits.append(f"{self.command} {self.path}")
            if location:
                self.send_response(302)
                self.send_header("Location", location)
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_HEAD = _any

        def log_message(self, *args: object) -> None:
            pass

    server = server_class((host, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def target() -> Iterator[Listener]:
    """The internal service an attacker wants to reach: on 127.0.0.1 and, when possible, ::1."""
    v4 = _serve(ThreadingHTTPServer, "127.0.0.1", 0, listener := Listener(port=0))
    listener.port = v4.server_address[1]
    servers = [v4]
    with suppress(OSError):
        servers.append(_serve(_V6Server, "::1", listener.port, listener))
    yield listener
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def redirector(target: Listener) -> Iterator[Listener]:
    """Stands in for a public server whose answers redirect to the internal target."""
    listener = Listener(port=0)
    server = _serve(ThreadingHTTPServer, "127.0.0.1", 0, listener, f"http://127.0.0.1:{target.port}/admin")
    listener.port = server.server_address[1]
    yield listener
    server.shutdown()
    server.server_close()


FORMS = [
    "http://127.0.0.1:{p}/",
    "http://127.0.0.2:{p}/",
    "http://127.255.255.254:{p}/",
    "http://127.1:{p}/",
    "http://127.0.1:{p}/",
    "http://2130706433:{p}/",
    "http://0x7f000001:{p}/",
    "http://0x7f.0x0.0x0.0x1:{p}/",
    "http://017700000001:{p}/",
    "http://0177.0.0.1:{p}/",
    "http://0177.0000.0000.0001:{p}/",
    "http://127.000.000.001:{p}/",
    "http://0:{p}/",
    "http://0.0.0.0:{p}/",
    "http://localhost:{p}/",
    "http://LOCALHOST:{p}/",
    "http://localhost.:{p}/",
    "http://ip6-localhost:{p}/",
    "http://[::1]:{p}/",
    "http://[0:0:0:0:0:0:0:1]:{p}/",
    "http://[::ffff:127.0.0.1]:{p}/",
    "http://[::ffff:7f00:1]:{p}/",
    "http://[0:0:0:0:0:ffff:127.0.0.1]:{p}/",
    "http://[::127.0.0.1]:{p}/",
    "http://[2002:7f00:1::]:{p}/",
    "http://[64:ff9b::7f00:1]:{p}/",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{p}/",
    "http://user:pass@127.0.0.1:{p}/",
    "http://evil.example@127.0.0.1:{p}/",
    "http://①②⑦.⓪.⓪.①:{p}/",
    "https://127.0.0.1:{p}/",
    "HTTP://127.0.0.1:{p}/",
    "http://10.0.0.1:{p}/",
    "http://10.255.255.254:{p}/",
    "http://172.16.0.1:{p}/",
    "http://172.31.255.254:{p}/",
    "http://192.168.0.1:{p}/",
    "http://100.64.0.1:{p}/",
    "http://169.254.169.254:{p}/latest/meta-data/",
    "http://169.254.170.2:{p}/v2/credentials",
    "http://[::ffff:169.254.169.254]:{p}/",
    "http://[fd00:ec2::254]:{p}/",
    "http://[fe80::1]:{p}/",
    "http://[fc00::1]:{p}/",
    "http://2852039166:{p}/",  # 169.254.169.254 as one decimal number
    "http://0xa9fea9fe:{p}/",  # ... in hex
    "http://0251.0376.0251.0376:{p}/",  # ... in octal
    "http://198.18.0.1:{p}/",  # benchmarking range
    "http://224.0.0.1:{p}/",
    "http://255.255.255.255:{p}/",
]


def test_at_least_forty_forms():
    assert len(FORMS) >= 40


@pytest.mark.parametrize("form", FORMS)
def test_internal_targets_are_refused_without_a_hit(target: Listener, form: str):
    url = form.format(p=target.port)
    with closing(SafeHttp(timeout=2)) as http:
        # Refused before any connection is attempted (not merely failing to connect).
        with pytest.raises(BlockedDestination):
            http.request("GET", url)
        with pytest.raises(BlockedDestination):
            http.request("POST", url, json={"event": "case.updated"})
    assert target.hits == []


@pytest.mark.parametrize("hops", [1, 3])
def test_redirect_chains_to_internal_targets_are_not_followed(
    target: Listener, redirector: Listener, hops: int
):
    public = f"127.0.0.1:{redirector.port}"  # the stand-in for a public host, allowed on purpose
    with closing(SafeHttp(allow=[public], timeout=2)) as http:
        for _ in range(hops):
            response = http.request("GET", f"http://{public}/start")
            assert response.status_code == 302  # answered, never followed
    assert len(redirector.hits) >= hops
    assert target.hits == []

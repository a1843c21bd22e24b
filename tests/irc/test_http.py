"""The web port on the wire: security headers (T33), bad requests and
request smuggling (T05), slowloris and idle connections (T17), and the
IRCv3 WebSocket transport: origin, version, subprotocols, limits (T34),
and a WebSocket user chatting with a TCP user.
"""
import os
import socket
import threading
import time

import pytest

from conftest import TIMEOUT
from httputil import (HTTPConn, WSClient, account_with_token, files_in, http,
                      no_temp_files, upload, web_server, ws_frame)


@pytest.fixture
def web(make_server):
    return web_server(make_server)


def ws_register(w, nick, caps=()):
    if caps:
        w.send("CAP LS 302")
        w.send("CAP REQ :" + " ".join(caps))
        w.expect(lambda l: " ACK " in l)
        w.send("CAP END")
    w.send("NICK " + nick)
    w.send("USER u 0 * :u")
    w.expect(lambda l: " 001 " in l)
    w.expect(lambda l: " 376 " in l or " 422 " in l)


# -- headers (T33)

def check_security_headers(r, hsts):
    csp = r.h("content-security-policy")
    assert csp, r.headers
    assert r.h("x-content-type-options") == "nosniff"
    assert r.h("referrer-policy") == "no-referrer"
    assert r.h("x-frame-options") == "DENY"
    if hsts:
        assert "max-age=" in r.h("strict-transport-security")
    else:
        assert r.h("strict-transport-security") is None
    return csp


def test_headers_on_index(web):
    r = http(web.http_port, "GET", "/")
    assert r.status == 200
    assert r.h("content-type").startswith("text/html")
    csp = check_security_headers(r, hsts=False)
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert r.h("etag") and r.h("cache-control") == "no-cache"


def test_headers_everywhere(web):
    _, t = account_with_token(web)
    loc = upload(web.http_port, t, b"x").h("location")
    for method, path, status in (("GET", "/", 200), ("HEAD", "/", 200),
                                 ("GET", "/nope", 404), ("OPTIONS", "/upload", 204),
                                 ("GET", loc, 200), ("GET", "/upload", 405)):
        r = http(web.http_port, method, path)
        assert r.status == status, (method, path, r)
        check_security_headers(r, hsts=False)


def test_hsts_only_on_https(make_server):
    s = web_server(make_server, https=True)
    r = http(s.https_port, "GET", "/", tls=True)
    assert r.status == 200
    check_security_headers(r, hsts=True)
    r = http(s.http_port, "GET", "/")
    check_security_headers(r, hsts=False)


def test_csp_host_is_not_injected(web):
    r = http(web.http_port, "GET", "/", host="evil.example; script-src *")
    assert r.status == 200
    assert "evil" not in r.h("content-security-policy")
    assert "script-src *" not in r.h("content-security-policy")


def test_head_has_no_body(web):
    c = HTTPConn(web.http_port)
    r = c.request("HEAD", "/")
    assert r.status == 200 and int(r.h("content-length")) > 0
    # the next response comes right after: no body bytes in between
    r2 = c.request("GET", "/nope")
    assert r2.status == 404


def test_404_and_405(web):
    assert http(web.http_port, "GET", "/no/such/file").status == 404
    assert http(web.http_port, "GET", "/../../etc/passwd").status == 404
    r = http(web.http_port, "POST", "/", {"Content-Length": "2"}, b"hi")
    assert r.status == 405
    assert http(web.http_port, "DELETE", "/").status == 405
    assert http(web.http_port, "GET", "*").status == 400


# -- bad requests (T05)

def raw(port, data, timeout=None):
    """Send bytes; return the response (or None if closed silently)."""
    c = HTTPConn(port)
    try:
        c.send(data)
        try:
            return c.response(timeout=timeout)
        except EOFError:
            return None
    finally:
        c.close()


def test_url_too_long_414(web):
    r = raw(web.http_port, b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert r.status == 414


def test_header_too_big_431(web):
    r = raw(web.http_port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536 + b"\r\n\r\n")
    assert r.status == 431


def test_too_many_headers_431(web):
    hs = b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    r = raw(web.http_port, b"GET / HTTP/1.1\r\nHost: x\r\n" + hs + b"\r\n")
    assert r.status == 431


@pytest.mark.parametrize("headers", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
    b"Content-Length: 5\r\nContent-Length: 6\r\n",
    b"Content-Length: 5\r\nContent-Length: 5\r\n",
    b"Content-Length: -1\r\n",
    b"Content-Length: +5\r\n",
    b"Content-Length: 0x10\r\n",
    b"Content-Length: 5 5\r\n",
    b"Content-Length: 99999999999999999999999\r\n",
])
def test_smuggling_and_bad_lengths_400(web, headers):
    """CL+TE, two CLs, and lengths that are not numbers: 400 and close,
    never a second request hidden in the body (no smuggling)."""
    _, t = account_with_token(web)
    c = HTTPConn(web.http_port)
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.encode() +
           b"\r\n" + headers + b"\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.response()
    assert r.status == 400
    assert c.closed()
    assert b"smuggled" not in c.buf
    assert os.listdir(web.path("files")) == []


def test_chunk_size_overflow(web):
    """A chunk size past 64 bits: the request ends there, with at most
    the answer to its headers, and nothing after it is read."""
    c = HTTPConn(web.http_port)
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\nGET /again HTTP/1.1\r\nHost: x\r\n\r\n")
    r = c.response()
    assert r.status in (200, 400)
    assert c.closed()
    assert b"HTTP/1.1" not in c.buf


def test_tls_handshake_then_silence(make_server):
    """An HTTPS client that stops after its ClientHello is closed by the
    header timeout."""
    s = web_server(make_server, ["--http-header-timeout", "1"], https=True)
    so = socket.create_connection(("127.0.0.1", s.https_port))
    so.sendall(b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + os.urandom(20))
    so.settimeout(5)
    t0 = time.monotonic()
    try:
        while so.recv(4096):
            pass
    except OSError:
        pass
    assert time.monotonic() - t0 < 4
    so.close()


def test_chunked_upload_is_411(web):
    _, t = account_with_token(web)
    c = HTTPConn(web.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" % t)
    assert c.response().status == 411


def test_garbage_requests(web):
    for data in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
                 b"GET\r\n\r\n", b"NICK x\r\nUSER x 0 * :x\r\n",
                 b"GET / HTTP/1.1\r\nHost x\r\n\r\n", b"\x00\x00\x00\x00\r\n\r\n"):
        r = raw(web.http_port, data)
        assert r is None or r.status == 400, (data, r)
    assert http(web.http_port, "GET", "/").status == 200


def test_request_split_per_byte(web):
    """Reassembly: a request sent one byte at a time is the same request."""
    c = HTTPConn(web.http_port)
    data = c.request_bytes("GET", "/", {"X-Some": "value", "Accept": "*/*"})
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(len(data)):
        c.send(data[i:i + 1])
    r = c.response()
    assert r.status == 200 and r.h("content-type").startswith("text/html")


def test_request_rate_per_address_429(web):
    c = HTTPConn(web.http_port)
    one = c.request_bytes("HEAD", "/")
    c.send(one * 260)
    statuses = []
    try:
        while True:
            statuses.append(c.response(head=True).status)
    except (EOFError, AssertionError):
        pass
    assert statuses[:150] == [200] * 150
    assert statuses[-1] == 429
    c.close()
    # another address is not affected
    c = HTTPConn(web.http_port, source="127.0.0.2")
    assert c.request("GET", "/").status == 200


# -- slow and idle clients (T17)

def test_slowloris_headers_408(make_server):
    s = web_server(make_server, ["--http-header-timeout", "2"])
    c = HTTPConn(s.http_port)
    c.send("GET / HTTP/1.1\r\nHost: x\r\n")
    start = time.monotonic()
    r = None
    try:
        for i in range(40):
            c.send("X-Slow-%d: a\r\n" % i)
            time.sleep(0.25)
            if c.closed(timeout=0.01):
                break
    except OSError:
        pass
    if b"\r\n\r\n" in c.buf:
        r = c.response()
    elapsed = time.monotonic() - start
    assert r is not None and r.status == 408, c.buf
    assert 1.5 < elapsed < 5, elapsed
    # a request that is quick is fine
    assert http(s.http_port, "GET", "/").status == 200


def test_slow_body_is_closed(make_server):
    s = web_server(make_server, ["--http-idle-timeout", "2"])
    _, t = account_with_token(s)
    c = HTTPConn(s.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: 100\r\n\r\nabc" % t)
    r = c.response(timeout=6)
    assert r.status == 408
    assert no_temp_files(s) and files_in(s) == []


def test_idle_keepalive_closed(make_server):
    s = web_server(make_server, ["--http-idle-timeout", "1"])
    c = HTTPConn(s.http_port)
    assert c.request("GET", "/").status == 200
    assert c.closed(timeout=4)


def test_1000_idle_connections(make_server):
    s = web_server(make_server, ["--http-header-timeout", "2"])
    fds0 = s.fd_count()
    socks = []
    for _ in range(1000):
        so = socket.socket()
        so.setblocking(True)
        so.settimeout(TIMEOUT)
        try:
            so.connect(("127.0.0.1", s.http_port))
        except OSError:
            so.close()
            continue
        socks.append(so)
    # past the per-address cap the rest are refused; another address
    # gets in at once
    t0 = time.monotonic()
    c = HTTPConn(s.http_port, source="127.0.0.2")
    assert c.request("GET", "/").status == 200
    assert time.monotonic() - t0 < 1
    c.close()
    # the silent ones are closed by the header timeout
    deadline = time.monotonic() + 8
    open_ = list(socks)
    while open_ and time.monotonic() < deadline:
        still = []
        for so in open_:
            so.settimeout(0.001)
            try:
                d = so.recv(10)
                if d:
                    still.append(so)
            except socket.timeout:
                still.append(so)
            except OSError:
                pass
        open_ = still
        time.sleep(0.1)
    assert not open_, "%d connections still open" % len(open_)
    for so in socks:
        so.close()
    # and the same address can make requests again
    assert http(s.http_port, "GET", "/").status == 200
    time.sleep(0.3)
    assert s.fd_count() <= fds0 + 2


# -- WebSocket (T34)

def test_ws_bad_origin_403(web):
    w = WSClient(web.http_port, origin="http://evil.example", expect_status=403)
    w.close()


def test_ws_origins_allowed(make_server):
    s = web_server(make_server, ["--web-origin", "https://app.example"])
    for origin in (None, "http://127.0.0.1:%d" % s.http_port, "https://app.example"):
        w = WSClient(s.http_port, origin=origin)
        assert w.status == 101
        w.close()
    WSClient(s.http_port, origin="https://app.example.evil", expect_status=403).close()
    WSClient(s.http_port, origin="null", expect_status=403).close()


def test_ws_wrong_version_426(web):
    w = WSClient(web.http_port, version="8", expect_status=426)
    assert w.headers.get("sec-websocket-version") == "13"
    w = WSClient(web.http_port, version=None, expect_status=426)


def test_ws_subprotocols(web):
    w = WSClient(web.http_port, protocols=("binary.ircv3.net", "text.ircv3.net"))
    assert w.protocol == "binary.ircv3.net"
    w.send("PING :x")
    op, payload = w.read_frame()
    assert op == 0x2 and payload.endswith(b"PONG test.lanchat :x")
    w = WSClient(web.http_port, protocols=("text.ircv3.net", "binary.ircv3.net"))
    assert w.protocol == "text.ircv3.net"
    w = WSClient(web.http_port, protocols=("text.ircv3.net",))
    assert w.protocol == "text.ircv3.net"
    w.send("PING :y")
    op, payload = w.read_frame()
    assert op == 0x1 and not payload.endswith(b"\r\n")
    w = WSClient(web.http_port, protocols=())
    assert w.protocol is None
    w.send("PING :z")
    assert w.read_frame()[0] == 0x1
    WSClient(web.http_port, protocols=("chat", "superchat"), expect_status=400).close()


def test_ws_big_message_1009(web):
    w = WSClient(web.http_port)
    try:
        w.send_raw(ws_frame(0x1, b"PRIVMSG x :" + b"a" * (1024 * 1024)))
    except OSError:
        pass    # the server may stop reading before we stop sending
    assert w.wait_close() == 1009


def test_ws_frame_flood_1008_others_unaffected(web):
    other = WSClient(web.http_port)
    ws_register(other, "calm")
    w = WSClient(web.http_port)
    flood = ws_frame(0x1, b"") * 1000
    try:
        for _ in range(100):
            w.send_raw(flood)
    except OSError:
        pass
    assert w.wait_close() == 1008
    other.send("PING :still-here")
    other.expect(lambda l: "still-here" in l)


def test_ws_and_tcp_chat(web):
    tcp = web.client("tcpnick")
    tcp.send("JOIN #mixed")
    tcp.expect("JOIN")
    w = WSClient(web.http_port)
    ws_register(w, "wsnick")
    w.send("JOIN #mixed")
    w.expect(lambda l: " JOIN " in l and "wsnick" in l)
    tcp.expect("JOIN", pred=lambda m: m.nick == "wsnick")
    w.send("PRIVMSG #mixed :hello from the browser")
    m = tcp.expect("PRIVMSG")
    assert m.nick == "wsnick" and m.params == ["#mixed", "hello from the browser"]
    tcp.send("PRIVMSG #mixed :hello from the terminal")
    l = w.expect(lambda l: "PRIVMSG" in l)
    assert l.startswith(":tcpnick!") and l.endswith(":hello from the terminal")
    tcp.send("PRIVMSG wsnick :private")
    assert w.expect(lambda l: "PRIVMSG wsnick" in l).endswith(":private")


def test_ws_upgrade_only_on_root(web):
    c = HTTPConn(web.http_port)
    c.send("GET /upload HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert c.response().status == 400


def test_ws_silence_after_upgrade_times_out(make_server):
    """A WebSocket that never registers is an unregistered IRC session:
    the registration timeout closes it."""
    s = web_server(make_server, ["--reg-timeout", "1"])
    w = WSClient(s.http_port)
    assert w.wait_close(timeout=5) in (1000, None)

"""Files over HTTP (FILEHOST): uploads need a login token, are refused
before their body when too big, are streamed to DATA/files/<id> under a
random id, and are served with Range support and safe headers
(BATTERY.md T30, T31).  Also the FILEHOST ISUPPORT token.

The 1 GiB throughput test takes about 10 s and writes 1 GiB to the
temporary directory; LANCHAT_SKIP_SLOW=1 skips it.  Its numbers are
printed (pytest -s) and kept in build/throughput.txt.
"""
import hashlib
import os
import re
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import Server, TIMEOUT, isupport
from httputil import (HTTPConn, WSClient, account_with_token, files_in, http,
                      lean_env, no_temp_files, register_account, rss_kb, upload,
                      web_server)

ID_RE = r"[A-Za-z0-9_-]{22}"
SKIP_SLOW = os.environ.get("LANCHAT_SKIP_SLOW") == "1"


@pytest.fixture
def web(make_server):
    return web_server(make_server)


def location_id(r):
    assert r.status == 201, r
    m = re.fullmatch(r"/files/(%s)/(.+)" % ID_RE, r.h("location"))
    assert m, r.h("location")
    return m.group(1), urllib.parse.unquote(m.group(2))


# -- authentication

def test_upload_without_token_is_401(web):
    r = upload(web.http_port, None, b"hello")
    assert r.status == 401
    assert r.h("www-authenticate").startswith("Bearer")
    assert files_in(web) == []


def test_upload_with_bad_or_revoked_token_is_401(web):
    c, t = account_with_token(web)
    for bad in ("x", "A" * 43, t[:-1] + ("A" if t[-1] != "A" else "B")):
        r = upload(web.http_port, bad, b"hello")
        assert r.status == 401, bad
        assert "invalid_token" in r.h("www-authenticate")
    c.send("TOKEN REVOKE " + t)
    c.expect("TOKEN", p0="REVOKE")
    assert upload(web.http_port, t, b"hello").status == 401
    assert files_in(web) == []


def test_upload_refuses_passwords_and_tokens_in_url(web):
    c, t = account_with_token(web, "pwuser")
    import base64
    basic = base64.b64encode(b"pwuser:correct-horse-battery").decode()
    r = http(web.http_port, "POST", "/upload", {"Authorization": "Basic " + basic,
                                                "Content-Length": "5"}, b"hello")
    assert r.status == 401
    r = http(web.http_port, "POST", "/upload?token=" + t, {"Content-Length": "5"}, b"hello")
    assert r.status == 401
    r = http(web.http_port, "POST", "/upload?access_token=" + t,
             {"Content-Length": "5", "Authorization": "Bearer"}, b"hello")
    assert r.status == 401


def test_upload_and_download_roundtrip(web):
    _, t = account_with_token(web)
    data = os.urandom(300000)
    r = upload(web.http_port, t, data, name="notes.txt", ctype="text/plain")
    fid, name = location_id(r)
    assert name == "notes.txt"
    assert r.h("cache-control") == "no-store"
    assert files_in(web) == [fid]
    assert os.path.getsize(web.path("files/" + fid)) == len(data)
    g = http(web.http_port, "GET", r.h("location"))
    assert g.status == 200 and g.body == data
    assert g.h("content-length") == str(len(data))
    assert g.h("etag") == '"%s"' % fid
    assert g.h("accept-ranges") == "bytes"
    # the name part of the URL does not matter; the id does
    assert http(web.http_port, "GET", "/files/" + fid).body == data
    assert http(web.http_port, "GET", "/files/%s/other.bin" % fid).body == data
    h = http(web.http_port, "HEAD", r.h("location"))
    assert h.status == 200 and h.body == b"" and h.h("content-length") == str(len(data))


def test_ids_are_random_not_content_hashes(web):
    _, t = account_with_token(web)
    a = location_id(upload(web.http_port, t, b"same bytes"))[0]
    b = location_id(upload(web.http_port, t, b"same bytes"))[0]
    assert a != b
    sha = hashlib.sha256(b"same bytes")
    assert a not in (sha.hexdigest(), sha.hexdigest()[:22])


def test_empty_upload(web):
    _, t = account_with_token(web)
    r = upload(web.http_port, t, b"", headers={"Content-Length": "0"})
    fid, _ = location_id(r)
    g = http(web.http_port, "GET", "/files/" + fid)
    assert g.status == 200 and g.body == b""


def test_unknown_and_malformed_ids_404(web):
    _, t = account_with_token(web)
    fid, _ = location_id(upload(web.http_port, t, b"x"))
    for path in ("/files/" + "A" * 22, "/files/", "/files/x", "/files/../lanchat.db",
                 "/files/%2e%2e/lanchat.db", "/files/.part-" + fid,
                 "/files/" + fid + "A", "/files/" + fid[:-1], "/files/lanchat.db",
                 "/files/..%2flanchat.db"):
        r = http(web.http_port, "GET", path)
        assert r.status == 404, path


def test_methods_on_files(web):
    _, t = account_with_token(web)
    fid, _ = location_id(upload(web.http_port, t, b"x"))
    r = http(web.http_port, "OPTIONS", "/files/" + fid)
    assert r.status == 204 and "GET" in r.h("allow")
    r = http(web.http_port, "DELETE", "/files/" + fid)
    assert r.status == 405
    r = http(web.http_port, "PUT", "/upload", {"Content-Length": "1"}, b"x")
    assert r.status == 405 and "POST" in r.h("allow")


def test_options_upload(web):
    r = http(web.http_port, "OPTIONS", "/upload")
    assert r.status == 204
    assert set(a.strip() for a in r.h("allow").split(",")) == {"OPTIONS", "POST"}
    assert r.h("accept-post")


# -- limits

def test_too_big_is_413_before_the_body(make_server):
    s = web_server(make_server, ["--max-upload", "1M"])
    _, t = account_with_token(s)
    c = HTTPConn(s.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: %d\r\n\r\n" % (t, 50 * 1024 * 1024))
    r = c.response()           # only the headers were sent
    assert r.status == 413
    assert b"1048576" in r.body
    c.close()
    # at the limit is fine
    assert upload(s.http_port, t, b"x" * (1024 * 1024)).status == 201
    assert upload(s.http_port, t, b"x" * (1024 * 1024 + 1)).status == 413
    assert no_temp_files(s)


def test_expect_100_continue(make_server):
    s = web_server(make_server, ["--max-upload", "1M"])
    _, t = account_with_token(s)
    c = HTTPConn(s.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Expect: 100-continue\r\nContent-Length: 5\r\n\r\n" % t)
    c.sock.settimeout(TIMEOUT)
    first = b""
    while b"\r\n\r\n" not in first:
        first += c.sock.recv(100)
    assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    c.buf = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
    c.send(b"hello")
    assert c.response().status == 201
    # refused: the final status, no 100
    c = HTTPConn(s.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Expect: 100-continue\r\nContent-Length: 5000000\r\n\r\n" % t)
    assert c.response().status == 413
    r = http(s.http_port, "POST", "/upload", {"Authorization": "Bearer " + t,
                                              "Expect": "something-else",
                                              "Content-Length": "1"}, b"x")
    assert r.status == 417


def test_length_required(web):
    _, t = account_with_token(web)
    r = http(web.http_port, "POST", "/upload", {"Authorization": "Bearer " + t})
    assert r.status == 411
    c = HTTPConn(web.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n" % t)
    assert c.response().status == 411
    assert files_in(web) == []


def test_quota(make_server):
    s = web_server(make_server, ["--upload-quota", "100k"])
    _, t = account_with_token(s)
    assert upload(s.http_port, t, b"a" * 60000).status == 201
    r = upload(s.http_port, t, b"b" * 60000)
    assert r.status == 507
    assert b"quota" in r.body
    # another account has its own quota
    _, t2 = account_with_token(s, "second")
    assert upload(s.http_port, t2, b"c" * 60000).status == 201
    # the quota survives a restart
    s.restart()
    s.http_port = [int(l.rsplit(":", 1)[1]) for l in s.banner if "http " in l][0]
    assert upload(s.http_port, t, b"d" * 50000).status == 507
    assert upload(s.http_port, t, b"d" * 30000).status == 201


def test_upload_rate_limit(make_server):
    s = web_server(make_server, ["--upload-rate", "3"])
    _, t = account_with_token(s)
    codes = [upload(s.http_port, t, b"x").status for _ in range(5)]
    assert codes[:3] == [201, 201, 201]
    assert 429 in codes[3:]
    r = upload(s.http_port, t, b"x")
    assert r.status == 429 and int(r.h("retry-after")) >= 1


def test_uploads_off(make_server):
    s = web_server(make_server, ["--max-upload", "0"])
    _, t = account_with_token(s)
    c = s.client("looker")
    assert "draft/FILEHOST" not in isupport(c.lines)
    assert upload(s.http_port, t, b"x").status == 403


# -- names

NAMES = [
    ('attachment; filename="../../etc/passwd"', "passwd"),
    ('attachment; filename="..\\\\x"', "x"),
    ('attachment; filename="%2e%2e%2f"', "%2e%2e%2f"),
    ("attachment; filename*=UTF-8''%2e%2e%2fsecret", "secret"),
    ("attachment; filename*=UTF-8''%2e%2e%2f", "file"),
    ("attachment; filename*=UTF-8''a%00b.txt", "ab.txt"),
    ("attachment; filename*=UTF-8''%E2%80%AEgpj.exe", "gpj.exe"),
    ("attachment; filename*=UTF-8''x%E2%80%8B%EF%BB%BFy.png", "xy.png"),
    ("attachment; filename*=UTF-8''caf%C3%A9%20menu.pdf", "café menu.pdf"),
    ("attachment; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt", "отчёт.txt"),
    ('attachment; filename="a\tb\tc.txt"', "abc.txt"),
    ("attachment; filename*=UTF-8''a%0D%0Ab%1Bc%7F.txt", "abc.txt"),
    ('attachment; filename=".htaccess"', "htaccess"),
    ('attachment; filename=".."', "file"),
    ('attachment; filename="con<>:|?*.txt"', "con______.txt"),
    ('attachment; filename="plain.txt"; filename*=UTF-8\'\'better.txt', "better.txt"),
    ("attachment; filename*=ISO-8859-1''%E9.txt", "file"),
    ("", "file"),
    ("attachment", "file"),
]


def test_path_tricks_in_names(web):
    _, t = account_with_token(web)
    ids = []
    for disp, want in NAMES:
        r = upload(web.http_port, t, b"data", disposition=disp)
        fid, name = location_id(r)
        assert name == want, (disp, name)
        ids.append(fid)
        g = http(web.http_port, "GET", r.h("location"))
        cd = g.h("content-disposition")
        assert cd.startswith("attachment;")
        m = re.search(r"filename\*=UTF-8''(\S+)", cd)
        assert urllib.parse.unquote(m.group(1)) == want
        ascii_name = re.search(r'filename="([^"]*)"', cd).group(1)
        assert all(0x20 <= ord(ch) < 0x7f for ch in ascii_name)
        assert "/" not in ascii_name and "\\" not in ascii_name
    # everything is stored under DATA/files/<id>, nothing else anywhere
    assert sorted(files_in(web)) == sorted(ids)
    assert not os.path.exists(os.path.join(web.data, "etc"))


def test_nul_and_raw_bytes_in_names(web):
    _, t = account_with_token(web)
    c = HTTPConn(web.http_port)
    body = b"data"
    head = (b"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.encode() +
            b"\r\nContent-Disposition: attachment; filename=\"a\xff\xfe\xe2\x80\xaeb.txt\"\r\n"
            b"Content-Length: 4\r\n\r\n")
    c.send(head + body)
    r = c.response()
    _, name = location_id(r)
    assert name == "ab.txt"
    # a NUL byte in a header line is a bad request, not a name
    c = HTTPConn(web.http_port)
    c.send(b"POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + t.encode() +
           b"\r\nContent-Disposition: attachment; filename=\"a\x00b\"\r\n"
           b"Content-Length: 4\r\n\r\ndata")
    assert c.response().status == 400


def test_long_names(web):
    _, t = account_with_token(web)
    r = upload(web.http_port, t, b"x", name="a" * 4000 + ".jpeg")
    _, name = location_id(r)
    assert len(name.encode()) <= 200 and name.endswith(".jpeg")
    r = upload(web.http_port, t, b"x",
               disposition="attachment; filename*=UTF-8''" + "%D0%96" * 1000 + ".txt")
    _, name = location_id(r)
    assert len(name.encode()) <= 200 and name.endswith(".txt")
    name.encode("utf-8")        # still valid UTF-8 (cut at a character)


# -- what is inline

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
       b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01"
       b"\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def fetch_headers(port, t, body, name, ctype):
    r = upload(port, t, body, name=name, ctype=ctype)
    assert r.status == 201, r
    g = http(port, "GET", r.h("location"))
    assert g.body == body
    assert g.h("x-content-type-options") == "nosniff"
    assert g.h("content-security-policy") == "default-src 'none'; sandbox"
    return g


def test_inline_only_for_real_images(web):
    _, t = account_with_token(web)
    cases = [
        (PNG, "a.png", "image/png", "inline", "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "a.jpg", "image/jpeg", "inline", "image/jpeg"),
        (b"GIF89a" + b"\x00" * 20, "a.gif", "image/gif", "inline", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8, "a.webp", "image/webp", "inline",
         "image/webp"),
        # claimed types do not matter: the bytes do
        (PNG, "noext", "application/octet-stream", "inline", "image/png"),
        (b"<html><script>alert(1)</script></html>", "x.html", "text/html", "attachment",
         "application/octet-stream"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg",
         "image/svg+xml", "attachment", "application/octet-stream"),
        (b"<html><script>alert(1)</script></html>", "x.png", "image/png", "attachment",
         "application/octet-stream"),
        (b"%PDF-1.4 /JS (app.alert(1))", "x.pdf", "application/pdf", "attachment",
         "application/pdf"),
        (b"hello", "x.txt", "text/plain; charset=utf-8", "attachment", "text/plain"),
        (b"x", "x.bin", "bogus type!!", "attachment", "application/octet-stream"),
    ]
    for body, name, ctype, disp, served in cases:
        g = fetch_headers(web.http_port, t, body, name, ctype)
        assert g.h("content-disposition").split(";")[0] == disp, (name, g.headers)
        assert g.h("content-type") == served, (name, g.headers)


def test_gif_js_polyglot_is_sandboxed(web):
    _, t = account_with_token(web)
    poly = b"GIF89a/*\x00\x01\x00\x00\x00\x00*/=1;alert(document.domain);//"
    g = fetch_headers(web.http_port, t, poly, "poly.gif", "application/javascript")
    # a GIF by its bytes, so an image: never a script type
    assert g.h("content-type") == "image/gif"
    assert "javascript" not in g.h("content-type")


def test_app_pages_keep_their_policy(web):
    r = http(web.http_port, "GET", "/")
    assert "sandbox" not in r.h("content-security-policy")


# -- ranges

def test_range_and_resume(web):
    _, t = account_with_token(web)
    data = os.urandom(1000000)
    r = upload(web.http_port, t, data)
    loc = r.h("location")
    fid = location_id(r)[0]

    def get(rng, extra=None):
        h = {"Range": rng} if rng is not None else {}
        h.update(extra or {})
        return http(web.http_port, "GET", loc, h)

    g = get("bytes=0-99")
    assert g.status == 206 and g.body == data[:100]
    assert g.h("content-range") == "bytes 0-99/1000000"
    # resume: first half, then the rest
    first = get("bytes=0-499999").body
    rest = get("bytes=500000-")
    assert rest.status == 206 and first + rest.body == data
    g = get("bytes=-10")
    assert g.status == 206 and g.body == data[-10:]
    g = get("bytes=999990-2000000")
    assert g.status == 206 and g.body == data[999990:]
    for bad in ("bytes=1000000-", "bytes=5000000-6000000", "bytes=-0"):
        g = get(bad)
        assert g.status == 416, bad
        assert g.h("content-range") == "bytes */1000000"
    # several ranges, or ones we cannot read: the whole file
    for whole in ("bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=x-y",
                  "bytes=99999999999999999999999-"):
        g = get(whole)
        assert g.status == 200 and g.body == data, whole
    # If-Range with our ETag honours the range; anything else does not
    assert get("bytes=0-9", {"If-Range": '"%s"' % fid}).status == 206
    assert get("bytes=0-9", {"If-Range": '"other"'}).status == 200
    # conditional GET
    g = get(None, {"If-None-Match": '"%s"' % fid})
    assert g.status == 304 and g.body == b""
    h = http(web.http_port, "HEAD", loc, {"Range": "bytes=10-19"})
    assert h.status == 206 and h.h("content-length") == "10" and h.body == b""


def test_keepalive_and_pipelined_downloads(web):
    _, t = account_with_token(web)
    a = os.urandom(700000)
    b = os.urandom(300)
    la = upload(web.http_port, t, a).h("location")
    lb = upload(web.http_port, t, b).h("location")
    c = HTTPConn(web.http_port)
    # three requests in one write: answered in order, on one connection
    c.send(c.request_bytes("GET", la) + c.request_bytes("HEAD", lb) +
           c.request_bytes("GET", lb))
    r1 = c.response()
    r2 = c.response(head=True)
    r3 = c.response()
    assert r1.body == a and r2.status == 200 and r2.body == b"" and r3.body == b
    # and the connection is still good for more
    assert c.request("GET", "/").status == 200
    assert c.request("GET", "/files/" + "B" * 22).status == 404
    assert c.request("GET", la, {"Range": "bytes=0-0"}).body == a[:1]


def test_slow_reader_download_is_bounded(make_server):
    """A reader that does not read holds the server to one chunk."""
    web = web_server(make_server, env=lean_env())
    _, t = account_with_token(web)
    data = os.urandom(8 * 1024 * 1024)
    loc = upload(web.http_port, t, data).h("location")
    base = rss_kb(web.pid)
    socks = []
    for _ in range(10):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", web.http_port))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % loc).encode())
        socks.append(s)
    time.sleep(1.0)
    grown = rss_kb(web.pid) - base
    assert grown < 20 * 1024, "RSS grew by %d kB for 10 stalled downloads" % grown
    # the server still answers others meanwhile
    assert http(web.http_port, "GET", "/").status == 200
    for s in socks:
        s.close()


# -- aborted uploads

def test_aborted_upload_leaves_no_temp_file(web):
    _, t = account_with_token(web)
    for how in ("close", "reset"):
        c = HTTPConn(web.http_port)
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: 5000000\r\n\r\n" % t)
        c.send(os.urandom(2000000))
        deadline = time.monotonic() + 3
        while not any(f.startswith(".part-") for f in files_in(web)):
            assert time.monotonic() < deadline, "no temp file while uploading"
            time.sleep(0.02)
        if how == "reset":
            import struct
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
        assert no_temp_files(web), files_in(web)
    assert files_in(web) == []
    # and the server is fine
    assert upload(web.http_port, t, b"ok").status == 201


def test_lying_content_length(make_server):
    s = web_server(make_server, ["--http-idle-timeout", "2"])
    _, t = account_with_token(s)
    # promises more than it sends, then goes quiet: the stall timeout ends it
    c = HTTPConn(s.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: 1000\r\n\r\n0123456789" % t)
    r = c.response(timeout=6)
    assert r.status == 408
    assert c.closed()
    assert no_temp_files(s)
    # sends more than it promised: the rest is a bad next request
    c = HTTPConn(s.http_port)
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: 10\r\n\r\n0123456789GARBAGE GARBAGE\r\n\r\n" % t)
    r = c.response()
    assert r.status == 201
    assert c.response().status == 400
    fid = location_id(r)[0]
    assert http(s.http_port, "GET", "/files/" + fid).body == b"0123456789"


def test_ten_parallel_max_size_uploads_keep_rss_flat(make_server):
    s = web_server(make_server, ["--upload-quota", "0"], env=lean_env())
    _, t = account_with_token(s)
    size = 100 * 1024 * 1024
    block = os.urandom(1024 * 1024)
    base = rss_kb(s.pid)
    peak = [base]
    results = []

    def one():
        c = HTTPConn(s.http_port, timeout=120)
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n" % (t, size))
        for _ in range(size // len(block)):
            c.sock.sendall(block)
        results.append(c.response(timeout=120).status)
        c.close()

    def watch():
        while len(results) < 10:
            peak[0] = max(peak[0], rss_kb(s.pid))
            time.sleep(0.02)

    threads = [threading.Thread(target=one) for _ in range(10)]
    w = threading.Thread(target=watch)
    w.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join(300)
    w.join(10)
    assert results == [201] * 10
    grown = peak[0] - base
    print("RSS: %d kB before, %d kB peak during 10 x 100 MiB uploads" % (base, peak[0]))
    # two chunks per upload and the buffers around them, not the files
    assert grown < 64 * 1024, "RSS grew by %d kB" % grown
    for f in files_in(s):
        assert os.path.getsize(s.path("files/" + f)) == size


@pytest.mark.skipif(SKIP_SLOW, reason="LANCHAT_SKIP_SLOW=1")
def test_throughput_1gib(make_server):
    s = web_server(make_server, ["--max-upload", "2G", "--upload-quota", "0"],
                   env=lean_env())
    _, t = account_with_token(s)
    size = 1024 * 1024 * 1024
    block = os.urandom(4 * 1024 * 1024)
    up_hash = hashlib.sha256()
    base = rss_kb(s.pid)
    c = HTTPConn(s.http_port, timeout=300)
    t0 = time.monotonic()
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
           "Content-Length: %d\r\n\r\n" % (t, size))
    for _ in range(size // len(block)):
        c.sock.sendall(block)
    r = c.response(timeout=300)
    up = time.monotonic() - t0
    assert r.status == 201
    for _ in range(size // len(block)):
        up_hash.update(block)
    peak_up = rss_kb(s.pid)
    down_hash = hashlib.sha256()
    got = [0]

    def sink(piece):
        got[0] += len(piece)

    t0 = time.monotonic()
    c.send(c.request_bytes("GET", r.h("location")))
    g = c.response(timeout=300, sink=sink)
    down = time.monotonic() - t0
    assert g.status == 200 and got[0] == size
    # check the content separately (hashing is slower than the transfer)
    with open(s.path("files/" + location_id(r)[0]), "rb") as f:
        while True:
            d = f.read(1 << 22)
            if not d:
                break
            down_hash.update(d)
    assert down_hash.digest() == up_hash.digest()
    peak = max(peak_up, rss_kb(s.pid))
    mb = size / 1e6
    print("1 GiB: upload %.0f MB/s (%.1f s), download %.0f MB/s (%.1f s), RSS %d -> %d kB"
          % (mb / up, up, mb / down, down, base, peak))
    out = os.path.join(os.path.dirname(os.path.abspath(os.environ.get(
        "LANCHATD", "build/lanchatd"))), "throughput.txt")
    try:
        with open(out, "w") as f:
            f.write("1 GiB on loopback: upload %.0f MB/s, download %.0f MB/s, "
                    "RSS %d -> %d kB\n" % (mb / up, mb / down, base, peak))
    except OSError:
        pass
    assert peak - base < 32 * 1024


# -- disk full

class TmpfsServer(Server):
    """A server whose data directory is a small tmpfs of its own (a
    private mount namespace), so that the disk can really fill up."""
    size = "64m"

    def args(self):
        return ["unshare", "-m", "sh", "-c",
                'mount -t tmpfs -o size=%s none "$0" && exec "$@"' % self.size,
                self.data] + super().args()

    def inside(self, name):
        return "/proc/%d/root%s" % (self.pid, os.path.join(self.data, name))


def tmpfs_ok():
    try:
        return subprocess.run(["unshare", "-m", "sh", "-c",
                               "mount -t tmpfs -o size=1m none /mnt && umount /mnt"],
                              capture_output=True, timeout=10).returncode == 0
    except Exception:
        return False


@pytest.mark.skipif(not tmpfs_ok(), reason="needs unshare -m and tmpfs mounts")
def test_disk_full_is_507_and_leaves_nothing(make_server):
    s = TmpfsServer(["--http-listen", "127.0.0.1:0", "--upload-quota", "0"])
    try:
        s.http_port = [int(l.rsplit(":", 1)[1]) for l in s.banner if "http " in l][0]
        _, t = account_with_token(s)
        # more than the disk has: refused before the body
        c = HTTPConn(s.http_port)
        c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Length: %d\r\n\r\n" % (t, 70 * 1024 * 1024))
        r = c.response()
        assert r.status == 507 and b"disk is full" in r.body
        c.close()
        # two that fit one at a time but not together: the disk fills
        # while they are written
        size = 40 * 1024 * 1024
        block = b"y" * (1024 * 1024)
        results = []

        def one():
            c = HTTPConn(s.http_port, timeout=60)
            try:
                c.send("POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Length: %d\r\n\r\n" % (t, size))
                for _ in range(size // len(block)):
                    c.sock.sendall(block)
            except OSError:
                pass    # refused mid-body: the answer is waiting to be read
            try:
                results.append(c.response(timeout=60))
            except (OSError, EOFError) as e:
                results.append(e)

        ths = [threading.Thread(target=one) for _ in range(2)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(120)
        statuses = [r.status for r in results if hasattr(r, "status")]
        assert 507 in statuses, results
        full = [r for r in results if getattr(r, "status", 0) == 507][0]
        assert b"disk is full" in full.body
        # nothing half-written is left (clean-up follows the answer)
        deadline = time.monotonic() + 5
        while True:
            names = os.listdir(s.inside("files"))
            if not [n for n in names if n.startswith(".part-")] or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not [n for n in names if n.startswith(".part-")], names
        # with the space back, uploads work again
        for _ in range(50):
            r = upload(s.http_port, t, b"after")
            if r.status == 201:
                break
            time.sleep(0.1)
        st = os.statvfs(s.inside("files"))
        assert r.status == 201, (r, names, st.f_bavail * st.f_frsize, statuses,
                                 os.listdir(s.inside("")), s.log()[-3000:])
    finally:
        s.cleanup()


# -- FILEHOST

def test_filehost_isupport_tcp(web):
    c = web.client("tcpuser")
    tok = isupport(c.lines)
    want = "http://127.0.0.1:%d/upload" % web.http_port
    assert tok.get("draft/FILEHOST") == want
    assert tok.get("soju.im/FILEHOST") == want


def test_filehost_isupport_websocket_uses_its_host(web):
    w = WSClient(web.http_port, host="chat.example:%d" % web.http_port,
                 origin="http://chat.example:%d" % web.http_port)
    w.send("NICK wsuser")
    w.send("USER u 0 * :u")
    lines = []
    while True:
        l = w.recv()
        assert l is not None
        lines.append(l)
        if " 005 " in l and "FILEHOST" in l:
            break
    assert "draft/FILEHOST=http://chat.example:%d/upload" % web.http_port in lines[-1]


@pytest.mark.parametrize("spec", ["0.0.0.0:0", "*:0"])
def test_filehost_any_address_listener(make_server, spec):
    """A listener on every address advertises the address this client
    used, never 0.0.0.0."""
    s = make_server(["--http-listen", spec])
    port = [int(l.rsplit(":", 1)[1]) for l in s.banner if "http " in l][0]
    c = s.client("anyaddr")
    assert isupport(c.lines)["draft/FILEHOST"] == "http://127.0.0.1:%d/upload" % port


def test_filehost_web_url_setting(make_server):
    s = web_server(make_server, ["--web-url", "https://chat.example.org/"])
    c = s.client("u1")
    assert isupport(c.lines)["draft/FILEHOST"] == "https://chat.example.org/upload"


def test_filehost_without_web_port(server):
    c = server.client("noweb")
    assert "draft/FILEHOST" not in isupport(c.lines)


def test_filehost_tls_prefers_https(make_server):
    s = web_server(make_server, https=True)
    c = s.client("tlsuser", tls=True)
    assert isupport(c.lines)["draft/FILEHOST"] == \
        "https://127.0.0.1:%d/upload" % s.https_port
    c2 = s.client("plainuser")
    assert isupport(c2.lines)["draft/FILEHOST"] == \
        "http://127.0.0.1:%d/upload" % s.http_port


def test_upload_and_download_over_tls(make_server):
    s = web_server(make_server, https=True)
    _, t = account_with_token(s)
    data = os.urandom(2 * 1024 * 1024 + 17)
    r = upload(s.https_port, t, data, tls=True)
    assert r.status == 201
    g = http(s.https_port, "GET", r.h("location"), tls=True)
    assert g.body == data
    assert "max-age" in g.h("strict-transport-security")
    g = http(s.https_port, "GET", r.h("location"), {"Range": "bytes=5-"}, tls=True)
    assert g.status == 206 and g.body == data[5:]


# -- origins

def test_cross_site_post_refused(web):
    _, t = account_with_token(web)
    r = upload(web.http_port, t, b"x", headers={"Origin": "http://evil.example"})
    assert r.status == 403
    r = upload(web.http_port, t, b"x",
               headers={"Origin": "http://127.0.0.1:%d" % web.http_port})
    assert r.status == 201
    assert files_in(web) == [location_id(r)[0]]


def test_allowed_origin_gets_cors(make_server):
    s = web_server(make_server, ["--web-origin", "https://app.example"])
    _, t = account_with_token(s)
    pre = http(s.http_port, "OPTIONS", "/upload", {
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert pre.status == 204
    assert pre.h("access-control-allow-origin") == "https://app.example"
    assert "authorization" in pre.h("access-control-allow-headers").lower()
    r = upload(s.http_port, t, b"x", headers={"Origin": "https://app.example"})
    assert r.status == 201
    assert r.h("access-control-allow-origin") == "https://app.example"
    assert "location" in r.h("access-control-expose-headers").lower()
    pre = http(s.http_port, "OPTIONS", "/upload", {"Origin": "https://evil.example"})
    assert pre.h("access-control-allow-origin") is None


def test_upload_token_from_websocket_session(web):
    """The web client's path: log in over WebSocket, make a token, upload
    with it, post the link."""
    register_account(web, "webby")
    w = WSClient(web.http_port)
    w.send("CAP LS 302")
    w.send("CAP REQ :sasl")
    w.expect(lambda l: " ACK " in l)
    w.send("AUTHENTICATE PLAIN")
    w.expect(lambda l: "AUTHENTICATE +" in l)
    import base64
    w.send("AUTHENTICATE " + base64.b64encode(b"webby\0webby\0correct-horse-battery").decode())
    w.expect(lambda l: " 903 " in l)
    w.send("CAP END")
    w.send("NICK webby2")
    w.send("USER u 0 * :u")
    w.expect(lambda l: " 001 " in l)
    w.send("TOKEN NEW :browser")
    tok = w.expect(lambda l: " TOKEN NEW " in l).split()[-1]
    r = upload(web.http_port, tok, PNG, name="cat.png", ctype="image/png",
               headers={"Origin": "http://127.0.0.1:%d" % web.http_port})
    assert r.status == 201
    g = http(web.http_port, "GET", r.h("location"))
    assert g.h("content-disposition").startswith("inline")

"""Helpers for the web-port tests (test_http.py, test_files.py,
test_tokens.py): a server with an HTTP listener, raw HTTP/1.1 requests
over plain sockets (so that tests control every byte), a small
WebSocket client that can also send frames no library would, and an
account with a login token.
"""
import base64
import hashlib
import os
import re
import socket
import struct
import time

from conftest import TIMEOUT, Client

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def web_server(make_server, extra_args=(), https=False, **kw):
    """A server with an HTTP listener on 127.0.0.1 (and HTTPS if asked);
    sets .http_port (and .https_port)."""
    args = ["--http-listen", "127.0.0.1:0"]
    if https:
        args += ["--https-listen", "127.0.0.1:0"]
    s = make_server(args + list(extra_args), **kw)
    s.http_port = s.https_port = None
    for line in s.banner:
        m = re.search(r"listening\s+(http|https)\s+\S+:(\d+)$", line.strip())
        if m and m.group(1) == "http" and s.http_port is None:
            s.http_port = int(m.group(2))
        elif m and m.group(1) == "https" and s.https_port is None:
            s.https_port = int(m.group(2))
    assert s.http_port, s.banner
    return s


def connect(port, tls=False, source=None, timeout=TIMEOUT):
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.settimeout(timeout)
    if source is not None:
        raw.bind((source, 0))
    raw.connect(("127.0.0.1", port))
    if tls:
        import ssl
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        raw = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    return raw


class Response:
    def __init__(self, status, reason, headers, body, raw_head):
        self.status = status
        self.reason = reason
        self.headers = headers          # lower-case name -> last value
        self.all_headers = []           # (name, value) in order
        self.body = body
        self.raw_head = raw_head

    def h(self, name):
        return self.headers.get(name.lower())

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:200])


class HTTPConn:
    """One keep-alive HTTP/1.1 connection with byte-level control."""

    def __init__(self, port, tls=False, source=None, timeout=TIMEOUT):
        self.sock = connect(port, tls=tls, source=source, timeout=timeout)
        self.buf = b""
        self.port = port

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sock.sendall(data)

    def request_bytes(self, method, path, headers=None, body=b"", host=None):
        h = {"Host": host or "127.0.0.1:%d" % self.port}
        h.update(headers or {})
        if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in h):
            h["Content-Length"] = str(len(body))
        lines = ["%s %s HTTP/1.1" % (method, path)]
        for k, v in h.items():
            if v is not None:
                lines.append("%s: %s" % (k, v))
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
        return head + (body or b"")

    def request(self, method, path, headers=None, body=b"", host=None):
        self.send(self.request_bytes(method, path, headers, body, host))
        return self.response(head=(method == "HEAD"))

    def _read(self, timeout):
        self.sock.settimeout(timeout)
        try:
            d = self.sock.recv(1 << 20)
        except socket.timeout:
            raise AssertionError("no answer; have %r" % self.buf[:300])
        except (ConnectionResetError, OSError):
            d = b""
        return d

    def response(self, head=False, timeout=None, sink=None):
        """Read one response.  With sink (a callable), the body is passed
        to it in pieces instead of being kept (for big downloads)."""
        timeout = TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buf:
            d = self._read(max(0.01, deadline - time.monotonic()))
            if not d:
                raise EOFError("closed before a response; have %r" % self.buf[:300])
            self.buf += d
        raw, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        headers = {}
        r = Response(status, parts[2] if len(parts) > 2 else "", headers, b"", raw)
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
            r.all_headers.append((k.strip(), v.strip()))
        if status == 100:
            return self.response(head=head, timeout=timeout, sink=sink)
        n = 0 if head or status in (204, 304) else int(headers.get("content-length", "0"))
        got = 0
        body = []
        take = min(n, len(self.buf))
        if take:
            piece, self.buf = self.buf[:take], self.buf[take:]
            got += take
            (sink or body.append)(piece)
        while got < n:
            d = self._read(max(0.01, deadline - time.monotonic() + 60))
            if not d:
                raise EOFError("closed after %d of %d body bytes" % (got, n))
            take = min(n - got, len(d))
            (sink or body.append)(d[:take])
            self.buf += d[take:]
            got += take
        r.body = b"".join(body)
        return r

    def closed(self, timeout=None):
        """True if the server closes the connection within timeout."""
        timeout = TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                d = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, OSError):
                return True
            if not d:
                return True
            self.buf += d
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def http(port, method, path, headers=None, body=b"", tls=False, host=None):
    """One request on a new connection; returns the Response."""
    c = HTTPConn(port, tls=tls)
    try:
        return c.request(method, path, headers, body, host=host)
    finally:
        c.close()


# -- WebSocket (RFC 6455), client side, by hand

def ws_frame(opcode, payload=b"", fin=True, mask=True, rsv=0):
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
    else:
        head = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if n < 4096 else \
        _mask_fast(payload, key)
    return head + key + masked


def _mask_fast(payload, key):
    k = (key * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(len(payload), "big")


class WSClient:
    """A WebSocket IRC client: lines as messages (text or binary)."""

    def __init__(self, port, protocols=("text.ircv3.net",), origin=None, version="13",
                 host=None, tls=False, expect_status=101):
        self.sock = connect(port, tls=tls)
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET / HTTP/1.1", "Host: %s" % (host or "127.0.0.1:%d" % port),
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: " + key]
        if version is not None:
            lines.append("Sec-WebSocket-Version: " + version)
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        if origin is not None:
            lines.append("Origin: " + origin)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(65536)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        first = head.split(b"\r\n")[0].decode()
        self.status = int(first.split()[1])
        self.headers = {}
        for l in head.decode("latin-1").split("\r\n")[1:]:
            k, _, v = l.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        assert self.status == expect_status, (self.status, head)
        if self.status == 101:
            want = base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()
            assert self.headers.get("sec-websocket-accept") == want
        self.protocol = self.headers.get("sec-websocket-protocol")
        self.binary = self.protocol == "binary.ircv3.net"
        self.close_code = None
        self.closed = False
        self.lines = []

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, line):
        self.sock.sendall(ws_frame(0x2 if self.binary else 0x1, line))

    def read_frame(self, timeout=None):
        """(opcode, payload) or None on timeout; (None, b"") on close."""
        deadline = time.monotonic() + (TIMEOUT if timeout is None else timeout)
        while True:
            f = self._parse()
            if f is not None:
                return f
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                d = b""
            if not d:
                self.closed = True
                return (None, b"")
            self.buf += d

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        op = b[0] & 0x0F
        n = b[1] & 0x7F
        i = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack("!H", b[2:4])[0]
            i = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack("!Q", b[2:10])[0]
            i = 10
        assert not (b[1] & 0x80), "server frames must not be masked"
        if len(b) < i + n:
            return None
        payload = b[i:i + n]
        self.buf = b[i + n:]
        if op == 0x8 and len(payload) >= 2:
            self.close_code = struct.unpack("!H", payload[:2])[0]
        return (op, payload)

    def recv(self, timeout=None):
        """The next IRC line (str), or None on timeout or close."""
        while True:
            f = self.read_frame(timeout)
            if f is None:
                return None
            op, payload = f
            if op is None or op == 0x8:
                return None
            if op in (0x1, 0x2):
                s = payload.decode("utf-8", "replace")
                self.lines.append(s)
                return s

    def expect(self, pred, timeout=None):
        deadline = time.monotonic() + (TIMEOUT if timeout is None else timeout)
        seen = []
        while time.monotonic() < deadline:
            l = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if l is None:
                if self.closed:
                    break
                continue
            seen.append(l)
            if pred(l):
                return l
        raise AssertionError("no matching line; saw %r" % seen[-10:])

    def wait_close(self, timeout=None):
        """Read until the close frame or EOF; returns the close code."""
        deadline = time.monotonic() + (TIMEOUT if timeout is None else timeout)
        while time.monotonic() < deadline:
            f = self.read_frame(max(0.01, deadline - time.monotonic()))
            if f is None:
                continue
            if f[0] is None or f[0] == 0x8:
                return self.close_code
        raise AssertionError("WebSocket not closed")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# -- accounts and tokens

def register_account(server, account, password="correct-horse-battery", caps=(),
                     nick=None):
    """A registered IRC client logged into a new account (its nick is the
    account's name unless nick is given)."""
    c = server.client()
    c.register(nick or account, caps=caps)
    c.send("REGISTER %s * %s" % (account, password))
    c.expect("REGISTER", p0="SUCCESS")
    c.drain(0.05)
    return c


def new_token(c, label=None):
    c.send("TOKEN NEW" + (" :" + label if label else ""))
    m = c.expect("TOKEN", p0="NEW")
    return m.params[1]


def account_with_token(server, nick="uploader"):
    c = register_account(server, nick)
    return c, new_token(c)


def upload(port, token, body, name="x.bin", ctype="application/octet-stream",
           disposition=None, headers=None, tls=False):
    h = {"Content-Type": ctype,
         "Content-Disposition": disposition if disposition is not None else
         'attachment; filename="%s"' % name}
    if token is not None:
        h["Authorization"] = "Bearer " + token
    h.update(headers or {})
    return http(port, "POST", "/upload", h, body, tls=tls)


def lean_env():
    """Environment for a server whose RSS a test measures: under ASan,
    a small quarantine, so that freed chunks are reused as they would
    be without it (the default quarantine keeps 256 MB of them)."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    return {"ASAN_OPTIONS": (opts + ":" if opts else "") + "quarantine_size_mb=1"}


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def files_in(server):
    d = server.path("files")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def no_temp_files(server, timeout=3.0):
    """True once DATA/files holds no temp file (clean-up is async)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not [f for f in files_in(server) if f.startswith(".part-")]:
            return True
        time.sleep(0.05)
    return False

"""Wire-test harness: start the real lanchatd on 127.0.0.1 with a fresh
data directory and drive it over real sockets.

Fixtures:
  server          a running server (ports chosen by the kernel)
  make_server     a factory: make_server(extra_args=[...], data=None)
  client          a factory: client(nick, caps=[...]) -> registered Client

Helpers for tests: Server(files={...}) writes files into the data
directory before the start (motd.txt, a config file), Server.pid and
Server.fd_count() for resource checks, run_lanchatd() for runs that are
expected to exit (bad flags, --help), isupport() to parse 005 tokens, and
Client(rcvbuf=...) / Client.reset() for slow and abruptly closed peers.

Accounts: Server.register_account(name, password) makes one (REGISTER
from a throw-away connection), Server.sasl_client(nick, account,
password, caps=[...]) connects and logs in with SASL PLAIN before
registering; sasl_plain() builds the PLAIN payload (base64).

The server binary comes from $LANCHATD (the Makefile sets it).  When it
is the sanitizer build, a server's stderr is checked at teardown: any
AddressSanitizer/UBSan report fails the test, and so does a non-zero exit
after SIGTERM (LeakSanitizer reports leaks at exit).
"""
import base64
import os
import re
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LANCHATD = os.environ.get("LANCHATD", os.path.join(ROOT, "build", "lanchatd"))
TIMEOUT = float(os.environ.get("LANCHAT_TEST_TIMEOUT", "5"))
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")


class Message:
    """One parsed IRC line: tags (dict), source, command, params."""

    def __init__(self, raw):
        self.raw = raw
        self.tags = {}
        self.source = None
        rest = raw
        if rest.startswith("@"):
            tagstr, _, rest = rest[1:].partition(" ")
            for t in tagstr.split(";"):
                k, _, v = t.partition("=")
                self.tags[k] = unescape_tag(v)
            rest = rest.lstrip(" ")
        if rest.startswith(":"):
            self.source, _, rest = rest[1:].partition(" ")
            rest = rest.lstrip(" ")
        self.params = []
        cmd, _, rest = rest.partition(" ")
        self.command = cmd.upper()
        while rest:
            rest = rest.lstrip(" ")
            if not rest:
                break
            if rest.startswith(":"):
                self.params.append(rest[1:])
                break
            p, _, rest = rest.partition(" ")
            self.params.append(p)

    @property
    def nick(self):
        return self.source.split("!")[0] if self.source else None

    def __repr__(self):
        return "<Message %r>" % self.raw


def unescape_tag(v):
    out, i = [], 0
    while i < len(v):
        ch = v[i]
        if ch == "\\" and i + 1 < len(v):
            nxt = v[i + 1]
            out.append({":": ";", "s": " ", "\\": "\\", "r": "\r", "n": "\n"}.get(nxt, nxt))
            i += 2
            continue
        if ch != "\\":
            out.append(ch)
        i += 1
    return "".join(out)


class Client:
    """A raw IRC connection with helpers to send and wait for lines."""

    def __init__(self, port, host="127.0.0.1", tls=False, nick=None, timeout=TIMEOUT,
                 rcvbuf=None, ssl_context=None):
        self.timeout = timeout
        if rcvbuf is None:
            raw = socket.create_connection((host, port), timeout=timeout)
        else:
            # The receive buffer must be set before connect() to bound the
            # TCP window the peer sees.
            raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            raw.settimeout(timeout)
            raw.connect((host, port))
        if tls:
            ctx = ssl_context
            if ctx is None:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            raw = ctx.wrap_socket(raw, server_hostname=host)
        self.sock = raw
        self.buf = b""
        self.lines = []      # every line received, in order (Message)
        self.pending = []    # received but not yet returned by expect()
        self.nick = nick
        self.closed = False

    # -- sending
    def send(self, line):
        if isinstance(line, str):
            line = line.encode("utf-8")
        self.sock.sendall(line + b"\r\n")

    def send_raw(self, data):
        self.sock.sendall(data)

    # -- receiving
    def _fill(self, deadline):
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, ssl.SSLError, OSError):
                data = b""
            if not data:
                self.closed = True
                return b"\n" in self.buf
            self.buf += data
        return True

    def recv(self, timeout=None):
        """Next line as a Message, or None on timeout or close."""
        if self.pending:
            return self.pending.pop(0)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if not self._fill(deadline):
            return None
        line, _, self.buf = self.buf.partition(b"\n")
        m = Message(line.rstrip(b"\r").decode("utf-8", "replace"))
        self.lines.append(m)
        return m

    def expect(self, command=None, timeout=None, pred=None, **kw):
        """Wait for a line whose command (and optional params/predicate)
        match; other lines are kept for later expect() calls."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        skipped = []
        idx = 0
        while True:
            # look through pending first
            while idx < len(self.pending):
                m = self.pending[idx]
                if _match(m, command, pred, kw):
                    self.pending.pop(idx)
                    return m
                idx += 1
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not self._fill(time.monotonic() + left):
                break
            line, _, self.buf = self.buf.partition(b"\n")
            m = Message(line.rstrip(b"\r").decode("utf-8", "replace"))
            self.lines.append(m)
            self.pending.append(m)
        raise AssertionError("expected %s %s, got: %r" % (command, kw or "", self.pending[-15:]))

    def wait_closed(self, timeout=None):
        """Read until the server closes the connection; return lines seen."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        seen = list(self.pending)
        self.pending = []
        while time.monotonic() < deadline:
            m = self.recv(timeout=max(0.01, deadline - time.monotonic()))
            if m is None:
                if self.closed:
                    return seen
                continue
            seen.append(m)
        raise AssertionError("connection not closed; saw %r" % seen[-10:])

    def drain(self, settle=0.2):
        """Collect everything that arrives until nothing has for `settle` s."""
        out = list(self.pending)
        self.pending = []
        while True:
            m = self.recv(timeout=settle)
            if m is None:
                return out
            self.pending = []
            out.append(m)

    def assert_silent(self, settle=0.3):
        got = self.drain(settle)
        assert not got, "expected nothing, got %r" % got

    def register(self, nick, caps=(), user="u", realname="Real Name"):
        self.nick = nick
        if caps:
            self.send("CAP LS 302")
            self.send("CAP REQ :" + " ".join(caps))
        self.send("NICK " + nick)
        self.send("USER %s 0 * :%s" % (user, realname))
        if caps:
            ack = self.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
            assert ack.params[1] == "ACK", ack
            self.send("CAP END")
        self.expect("001")
        self.expect(pred=lambda m: m.command in ("376", "422"))
        self.drain(0.05)
        return self

    def joined(self, chan):
        """Is this client in chan, by the lines it has read: its own JOIN
        (typed, or automatic at login to an account that remembers its
        channels) not followed by its PART or KICK?  Returns the index in
        self.lines of that JOIN, or None."""
        low, at = chan.lower(), None
        for i, m in enumerate(self.lines):
            if not m.params or m.params[0].lower() != low:
                continue
            if m.command == "JOIN" and m.nick == self.nick:
                at = i
            elif m.command == "PART" and m.nick == self.nick:
                at = None
            elif (m.command == "KICK" and len(m.params) > 1 and
                  m.params[1] == self.nick):
                at = None
        return at

    def replay_since(self, index):
        """Make the lines read after self.lines[index] pending again, so
        that expect() finds what an automatic JOIN brought."""
        self.pending = list(self.lines[index + 1:])

    def ensure_join(self, chan):
        """JOIN chan unless already in it; wait for its end of NAMES."""
        if self.joined(chan) is not None:
            self.drain(0.1)
            return
        self.send("JOIN " + chan)
        self.expect("366")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def reset(self):
        """Close with SO_LINGER 0: the peer gets a RST, not a FIN."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()


def _match(m, command, pred, kw):
    if command is not None and m.command != str(command).upper():
        return False
    for k, v in kw.items():
        if k.startswith("p") and k[1:].isdigit():
            i = int(k[1:])
            if len(m.params) <= i or m.params[i] != v:
                return False
    if pred is not None and not pred(m):
        return False
    return True


class Server:
    def __init__(self, extra_args=(), data=None, env=None, files=None):
        self.tmp = None
        if data is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="lanchat-test-")
            data = self.tmp.name
        self.data = data
        self.extra_args = list(extra_args)
        self.env = env
        self.proc = None
        self.clients = []
        for name, text in (files or {}).items():
            self.write(name, text)
        self.start()

    def path(self, name):
        return os.path.join(self.data, name)

    def write(self, name, text):
        """Write a file (str or bytes) under the data directory."""
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(text.encode("utf-8") if isinstance(text, str) else text)
        return p

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.proc.pid))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def args(self):
        a = [LANCHATD, "--data", self.data,
             "--listen", "127.0.0.1:0", "--tls-listen", "127.0.0.1:0",
             "--http-listen", "none", "--name", "test.lanchat",
             "--password-cost", "min", "--discovery", "none"]
        return a + self.extra_args

    def start(self):
        self.stderr_path = os.path.join(self.data, "stderr-%d.log" % time.monotonic_ns())
        self.stderr = open(self.stderr_path, "wb")
        env = dict(os.environ)
        if self.env:
            env.update(self.env)
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.PIPE,
                                     stderr=self.stderr, env=env)
        self.port = self.tls_port = None
        self.banner = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode("utf-8", "replace")
            if not line:
                break
            self.banner.append(line.rstrip("\n"))
            mm = re.search(r"listening\s+(irc|ircs)\s+\S+:(\d+)$", line.strip())
            if mm:
                if mm.group(1) == "irc" and self.port is None:
                    self.port = int(mm.group(2))
                elif mm.group(1) == "ircs" and self.tls_port is None:
                    self.tls_port = int(mm.group(2))
            if line.startswith("Connect with"):
                break
        if self.proc.poll() is not None:
            raise RuntimeError("lanchatd exited: %s" % self.log())
        # keep stdout drained so the server never blocks on it
        import threading
        threading.Thread(target=self._drain_stdout, daemon=True).start()

    def _drain_stdout(self):
        try:
            for _ in self.proc.stdout:
                pass
        except Exception:
            pass

    def log(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def client(self, nick=None, caps=(), tls=False, rcvbuf=None, **kw):
        c = Client(self.tls_port if tls else self.port, tls=tls, rcvbuf=rcvbuf)
        self.clients.append(c)
        if nick is not None:
            c.register(nick, caps=caps, **kw)
        return c

    def register_account(self, name, password, nick=None):
        """Make account `name` with REGISTER from a connection of its own
        (nick: `name` unless given), then close that connection."""
        c = self.client(nick or name)
        c.send("REGISTER %s * %s" % (name, password))
        m = c.expect(pred=lambda m: m.command in ("REGISTER", "FAIL"))
        assert m.command == "REGISTER" and m.params[0] == "SUCCESS", m
        c.expect("900")
        c.send("QUIT")
        c.wait_closed()
        self.clients.remove(c)
        return name

    def sasl_client(self, nick, account, password, caps=(), tls=False,
                    ssl_context=None, user="u", realname="Real Name"):
        """A client that logs in to `account` with SASL PLAIN before it
        registers as `nick`; returns it registered (welcome drained)."""
        port = self.tls_port if tls else self.port
        c = Client(port, tls=tls, ssl_context=ssl_context)
        self.clients.append(c)
        c.nick = nick
        c.send("CAP LS 302")
        c.send("CAP REQ :" + " ".join(["sasl"] + list(caps)))
        c.send("NICK " + nick)
        c.send("USER %s 0 * :%s" % (user, realname))
        ack = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
        assert ack.params[1] == "ACK", ack
        c.send("AUTHENTICATE PLAIN")
        c.expect("AUTHENTICATE", p0="+")
        c.send("AUTHENTICATE " + sasl_plain(account, password))
        c.expect("903")
        c.send("CAP END")
        c.expect("001")
        c.expect(pred=lambda m: m.command in ("376", "422"))
        c.drain(0.05)
        return c

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, check=True):
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                if check:
                    raise AssertionError("lanchatd did not stop on SIGTERM")
        rc = self.proc.returncode
        self.proc = None
        self.stderr.close()
        log = self.log()
        if check:
            for mark in SANITIZER_MARKS:
                assert mark not in log, "sanitizer report:\n" + log[-6000:]
            assert rc == 0, "lanchatd exited with %s:\n%s" % (rc, log[-3000:])
        return rc

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self.stderr.close()

    def restart(self):
        self.stop()
        self.start()

    def cleanup(self, check=True):
        for c in self.clients:
            c.close()
        self.clients = []
        try:
            self.stop(check=check)
        finally:
            if self.tmp is not None:
                self.tmp.cleanup()


def sasl_plain(authcid, password, authzid=""):
    """The base64 SASL PLAIN response: authzid NUL authcid NUL password."""
    raw = ("%s\0%s\0%s" % (authzid, authcid, password)).encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def run_lanchatd(args, timeout=10, env=None):
    """Run lanchatd with args (no --listen defaults) and wait for it to
    exit; returns the CompletedProcess with text stdout and stderr."""
    e = dict(os.environ)
    if env:
        e.update(env)
    r = subprocess.run([LANCHATD] + list(args), capture_output=True,
                       text=True, errors="replace", timeout=timeout, env=e)
    for mark in SANITIZER_MARKS:
        assert mark not in r.stderr, "sanitizer report:\n" + r.stderr[-6000:]
    return r


def isupport(lines):
    """The 005 tokens in lines (Messages) as a dict: value or True."""
    tokens = {}
    for m in lines:
        if m.command != "005":
            continue
        for tok in m.params[1:-1]:
            k, eq, v = tok.partition("=")
            tokens[k] = v if eq else True
    return tokens


@pytest.fixture
def make_server():
    servers = []

    def make(extra_args=(), data=None, env=None, files=None):
        s = Server(extra_args, data=data, env=env, files=files)
        servers.append(s)
        return s
    yield make
    errors = []
    for s in servers:
        try:
            s.cleanup()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n".join(errors))


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def client(server):
    clients = []

    def make(nick=None, caps=(), tls=False, **kw):
        c = server.client(nick, caps=caps, tls=tls, **kw)
        clients.append(c)
        return c
    yield make
    for c in clients:
        c.close()

"""The terminal client, driven as a person would: in tmux (a private
socket per test, tmux's own -S), keys in with send-keys, the screen out
with capture-pane.  Against the real lanchatd on 127.0.0.1, talking with
plain TCP test clients from tests/irc/conftest.py: register, join, chat
in Cyrillic, CJK and emoji, tab completion, a DM that rings the bell,
scrolling back into CHATHISTORY, the "new messages" line from MARKREAD,
a reconnect that catches up, a resize, commands the server lacks, and the
loud refusal of a certificate that changed (BATTERY.md T37).  One test
discovers the server from inside a network namespace.
"""
import importlib.util
import os
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
_spec = importlib.util.spec_from_file_location(
    "irc_harness", os.path.join(ROOT, "tests", "irc", "conftest.py"))
h = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(h)
sys.path.insert(0, os.path.join(ROOT, "tests", "netns"))
from lan import Lan, netns_available  # noqa: E402

LANCHAT = os.path.join(os.environ.get("LANCHAT_BUILD", os.path.dirname(
    h.LANCHATD)), "lanchat")
FP_RE = re.compile(r"SHA-256 ([0-9A-F:]{95})")

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TuiServer(h.Server):
    """A server on fixed ports, so that a restart keeps them."""

    def __init__(self, **kw):
        self.fixed = (free_port(), free_port())
        super().__init__(**kw)

    def args(self):
        return [h.LANCHATD, "--data", self.data,
                "--listen", "127.0.0.1:%d" % self.fixed[0],
                "--tls-listen", "127.0.0.1:%d" % self.fixed[1],
                "--http-listen", "none", "--name", "tui.lanchat",
                "--password-cost", "min", "--discovery", "none",
                "--flood-burst", "0"] + self.extra_args

    @property
    def fp(self):
        for line in self.banner:
            m = FP_RE.search(line)
            if m:
                return m.group(1)
        return None


@pytest.fixture
def server():
    s = TuiServer()
    yield s
    s.cleanup()


class Tui:
    """lanchat in a tmux session of its own."""

    def __init__(self, tmp, argv, home, cols=120, rows=32, env=None,
                 prefix=()):
        self.sock = os.path.join(str(tmp), "tmux-%d.sock" % id(self))
        self.home = str(home)
        e = {"HOME": self.home, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
             "ASAN_OPTIONS": "detect_leaks=0", "LANCHAT_NO_NOTIFY": "1"}
        e.update(env or {})
        cmd = " ".join(["env"] + ["%s=%s" % (k, shlex.quote(v))
                                  for k, v in e.items()] +
                       [shlex.quote(a) for a in list(prefix) +
                        [LANCHAT] + list(argv)])
        wrapper = "%s; echo EXIT=$?; sleep 3600" % cmd
        self.tmux("new-session", "-d", "-s", "t", "-x", str(cols), "-y",
                  str(rows), wrapper)

    def tmux(self, *args, check=True):
        return subprocess.run(["tmux", "-S", self.sock, "-f", "/dev/null"] +
                              list(args), capture_output=True, text=True,
                              check=check, timeout=20)

    def keys(self, *keys):
        self.tmux("send-keys", "-t", "t:0", *keys)

    def type(self, text, enter=True):
        self.tmux("send-keys", "-t", "t:0", "-l", text)
        if enter:
            self.keys("Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "t:0").stdout

    def wait(self, what, timeout=10):
        """Wait until the screen shows what (str or compiled regex)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if (what.search(s) if hasattr(what, "search") else what in s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError("screen never showed %r:\n%s" %
                                     (what, s))
            time.sleep(0.1)

    def bell(self):
        return self.tmux("display", "-p", "-t", "t:0",
                         "#{window_bell_flag}").stdout.strip()

    def wait_bell(self, timeout=5):
        deadline = time.monotonic() + timeout
        while self.bell() != "1":
            if time.monotonic() > deadline:
                raise AssertionError("no bell")
            time.sleep(0.1)

    def reset_bell(self):
        """Clear tmux's bell flag: visit another window and come back."""
        if "t:9" not in getattr(self, "_extra", ""):
            self.tmux("new-window", "-d", "-t", "t:9", "sleep 3600")
            self._extra = "t:9"
        self.tmux("select-window", "-t", "t:9")
        self.tmux("select-window", "-t", "t:0")
        assert self.bell() == "0"

    def close(self):
        self.tmux("kill-server", check=False)


@pytest.fixture
def tui_factory(tmp_path):
    made = []

    def make(argv, home=None, **kw):
        home = home or tmp_path / "home"
        os.makedirs(str(home), exist_ok=True)
        t = Tui(tmp_path, argv, home, **kw)
        made.append(t)
        return t
    yield make
    for t in made:
        t.close()


def first_run(t, nick, how="r", password="secret-pw", save="y"):
    """Answer the questions of a first run: trust, nick, account."""
    t.wait("Trust this server and remember it? [y/N]")
    t.type("y")
    t.wait("Nickname [")
    t.type(nick)
    t.wait("Log in (l), register a new account (r)")
    t.type(how)
    if how == "g":
        return
    t.wait("New password:" if how == "r" else "Password:")
    t.type(password)
    if how == "r":
        t.wait("The same again:")
        t.type(password)
    t.wait("Save the password in")
    t.type(save)


def test_register_join_chat_and_dm(server, tui_factory, tmp_path):
    t = tui_factory(["127.0.0.1:%d" % server.tls_port])
    s = t.wait("Its certificate's SHA-256 fingerprint is:")
    assert server.fp in s.replace("\n", "")
    first_run(t, "ivan")
    t.wait("Logged in as ivan")
    t.wait("Login saved in")
    cfg = tmp_path / "home" / ".config" / "lanchat"
    st = os.stat(str(cfg / "credentials"))
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert "ivan" in (cfg / "credentials").read_text()
    assert "secret-pw" not in (cfg / "credentials").read_text()
    known = (cfg / "known_servers").read_text()
    assert "127.0.0.1:%d %s" % (server.tls_port, server.fp) in known

    t.type("/join #lobby")
    t.wait("You joined #lobby")
    bob = server.client("bob")
    bob.send("JOIN #lobby")
    bob.expect("366")
    t.wait("bob joined")
    t.wait(re.compile(r"2 users.*\n.*@ivan.*\n.* bob", re.S))
    t.reset_bell()
    bob.send("PRIVMSG #lobby :Привет, ivan! 你好 😀 done")
    t.wait("<bob> Привет, ivan! 你好 😀 done")
    t.wait_bell()       # a mention rings
    t.type("hello bob, Ёлка 木 🎄")
    m = bob.expect("PRIVMSG")
    assert m.params == ["#lobby", "hello bob, Ёлка 木 🎄"]
    t.wait("<ivan> hello bob, Ёлка 木 🎄")

    # Tab completes a nick (with ": " at the start of the line).
    t.type("bo", enter=False)
    t.keys("Tab")
    t.type("thanks")
    assert bob.expect("PRIVMSG").params[1] == "bob: thanks"
    t.type("/me waves")
    assert bob.expect("PRIVMSG").params[1] == "\x01ACTION waves\x01"
    t.wait("* ivan waves")
    t.type("/topic Ёлки и палки")
    assert bob.expect("TOPIC").params[1] == "Ёлки и палки"
    t.wait("#lobby: Ёлки и палки")

    # A DM in another window: marked, and the bell rings.
    t.reset_bell()
    bob.send("PRIVMSG ivan :psst, a secret")
    t.wait(re.compile(r"3 !bob \(1\)"))
    t.wait_bell()
    t.keys("M-3")
    t.wait("private conversation with bob")
    t.wait("<bob> psst, a secret")
    t.type("a secret reply")
    m = bob.expect("PRIVMSG")
    assert m.params == ["bob", "a secret reply"]
    assert m.nick == "ivan"

    # What this server does not have is said plainly (no web port here,
    # so no uploads); what it has works.
    t.type("/upload /etc/hostname")
    t.wait("Uploads are not supported by this server")
    t.type("/search secret")
    t.wait(re.compile(r"\d+ results?"))
    t.type("/frobnicate")
    t.wait("Unknown command /frobnicate")

    # A narrow terminal: the side panes go, the messages stay.
    t.tmux("resize-window", "-t", "t:0", "-x", "50", "-y", "16")
    s = t.wait("a secret reply")
    assert "│" not in s
    t.tmux("resize-window", "-t", "t:0", "-x", "120", "-y", "32")
    t.wait(re.compile(r"│.*a secret reply"))

    t.type("/quit bye now")
    t.wait("EXIT=0")
    m = bob.expect("QUIT")
    assert m.params[0].endswith("bye now")


def test_scroll_back_into_history(server, tui_factory):
    carol = server.client("carol")
    carol.send("JOIN #hist")
    carol.expect("366")
    for i in range(150):
        carol.send("PRIVMSG #hist :history line %03d" % i)
    carol.send("PING :done")
    carol.expect("PONG", timeout=15)
    t = tui_factory(["--guest", "-n", "reader", "--accept-new",
                     "127.0.0.1:%d" % server.tls_port])
    t.wait("Welcome to the lanchat IRC network")
    t.type("/join #hist")
    t.wait("history line 149")
    assert "history line 000" not in t.screen()
    deadline = time.monotonic() + 30
    while "history line 000" not in t.screen():
        assert time.monotonic() < deadline, t.screen()
        t.keys("PPage")
        time.sleep(0.3)
    s = t.screen()
    assert "history line 001" in s
    assert "more below" in s
    # Back to the bottom.
    for _ in range(20):
        t.keys("NPage")
    t.wait("history line 149")


def test_new_messages_line_from_markread(server, tui_factory, tmp_path):
    home = tmp_path / "home"
    t = tui_factory(["127.0.0.1:%d" % server.tls_port], home=home)
    first_run(t, "mara")
    t.wait("Logged in as mara")
    t.type("/join #m")
    t.wait("You joined #m")
    bob = server.client("bob")
    bob.send("JOIN #m")
    bob.send("PRIVMSG #m :one, read")
    t.wait("<bob> one, read")
    time.sleep(1.5)     # the read marker goes out on the next tick
    t.type("/quit")
    t.wait("EXIT=0")
    bob.send("PRIVMSG #m :two, unread")
    bob.send("PRIVMSG #m :three, unread")
    bob.send("PING :x")
    bob.expect("PONG")

    t2 = tui_factory(["127.0.0.1:%d" % server.tls_port], home=home)
    # With the saved password; the account remembers #m, so the login
    # puts mara back in it (and the client may show it at once).
    t2.wait(re.compile(r"Logged in as mara|2 #m"))
    t2.type("/join #m")
    s = t2.wait("three, unread")
    lines = s.splitlines()
    one = [i for i, ln in enumerate(lines) if "one, read" in ln]
    new = [i for i, ln in enumerate(lines) if "new messages" in ln]
    two = [i for i, ln in enumerate(lines) if "two, unread" in ln]
    assert one and new and two, s
    assert one[0] < new[0] < two[0], s


def test_reconnect_catches_up(server, tui_factory):
    t = tui_factory(["127.0.0.1:%d" % server.tls_port],
                    env={"LANCHAT_RECONNECT_MS": "4000"})
    first_run(t, "rita")
    t.wait("Logged in as rita")
    t.type("/join #c")
    t.wait("You joined #c")
    server.stop()
    t.wait("Disconnected")
    server.start()
    bob = server.client("bob")
    bob.send("JOIN #c")
    bob.send("PRIVMSG #c :said while rita was away")
    bob.send("PING :x")
    bob.expect("PONG")
    assert "said while rita was away" not in t.screen()
    s = t.wait("said while rita was away", timeout=20)
    assert s.count("You joined #c") >= 2, s
    t.wait(re.compile(r"2 users"))
    t.type("back again")
    assert bob.expect("PRIVMSG").params == ["#c", "back again"]


def test_changed_certificate_is_refused(server, tui_factory, tmp_path):
    old_fp = server.fp
    t = tui_factory(["127.0.0.1:%d" % server.tls_port],
                    env={"LANCHAT_RECONNECT_MS": "300"})
    first_run(t, "tess", how="g")
    t.wait("Welcome to the lanchat IRC network")
    server.stop()
    shutil.rmtree(server.path("tls"))
    server.start()
    new_fp = server.fp
    assert new_fp != old_fp
    s = t.wait("EXIT=3", timeout=20)
    flat = s.replace("\n", "")
    assert "CERTIFICATE HAS CHANGED" in s
    assert old_fp in flat and new_fp in flat
    assert "never falls back" in s

    # A fresh start refuses too, before anything is sent.
    r = subprocess.run([LANCHAT, "127.0.0.1:%d" % server.tls_port],
                       env=dict(os.environ, HOME=str(tmp_path / "home"),
                                ASAN_OPTIONS="detect_leaks=0"),
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 3
    assert old_fp in r.stderr and new_fp in r.stderr


def test_plain_only_on_request(server, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), ASAN_OPTIONS="detect_leaks=0")
    # TLS to the plain port: an error that names the port, not plain text.
    r = subprocess.run([LANCHAT, "--guest", "127.0.0.1:%d" % server.port],
                       env=env, capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert "TLS" in r.stderr
    r = subprocess.run([LANCHAT, "--guest", "127.0.0.1:1"], env=env,
                       capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1 and "cannot connect" in r.stderr
    r = subprocess.run([LANCHAT, "--bogus"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2


@pytest.mark.skipif(netns_available() is not None,
                    reason=str(netns_available()))
def test_discover_from_a_namespace_and_chat(tui_factory, tmp_path):
    lan = Lan(["srv1", "cli1"])
    data = tmp_path / "data"
    srv = lan.popen("srv1", [h.LANCHATD, "--data", str(data), "--listen",
                             "*:6667", "--tls-listen", "*:6697",
                             "--http-listen", "none", "--name", "netoffice",
                             "--password-cost", "min"],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        fp = None
        for _ in range(30):
            line = srv.stdout.readline().decode()
            m = FP_RE.search(line)
            if m:
                fp = m.group(1)
            if line.startswith("Connect with"):
                break
        assert fp
        t = tui_factory([], prefix=["ip", "netns", "exec", lan.ns("cli1")])
        s = t.wait("Trust this server and remember it?")
        flat = s.replace("\n", "")
        assert "netoffice" in s and fp in flat
        assert "Connecting to netoffice at 10.77.0.1, port 6697" in s
        assert "the fingerprint the server announced" in s
        first_run(t, "nina", how="g")
        t.wait("Welcome to the lanchat IRC network")
        t.type("/join #ns")
        t.wait("You joined #ns")
        t.type("/quit")
        t.wait("EXIT=0")
    finally:
        srv.send_signal(signal.SIGTERM)
        srv.wait(timeout=15)
        srv.stdout.close()
        lan.close()


class FakeIrc:
    """A tiny IRC server for what lanchatd does not have yet: FILEHOST
    with a TOKEN NEW bearer token, and soju.im/search.  It follows the
    contracts the client is written against, nothing more."""

    def __init__(self, filehost):
        import threading
        self.filehost = filehost
        self.lsock = socket.socket()
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.got = []
        self.tokens = 0
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        import threading
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, c):
        buf, nick = b"", "*"

        def send(line):
            c.sendall((line + "\r\n").encode())
        while True:
            try:
                data = c.recv(65536)
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                m = h.Message(raw.rstrip(b"\r").decode())
                self.got.append(m)
                if m.command == "CAP" and m.params[0] == "LS":
                    send(":fake CAP * LS :batch server-time message-tags "
                         "soju.im/search")
                elif m.command == "CAP" and m.params[0] == "REQ":
                    send(":fake CAP * ACK :" + m.params[1])
                elif m.command == "NICK":
                    nick = m.params[0]
                elif m.command == "CAP" and m.params[0] == "END":
                    send(":fake 001 %s :Welcome to the fake network" % nick)
                    send(":fake 005 %s draft/FILEHOST=%s CHANTYPES=# "
                         ":are supported" % (nick, self.filehost))
                    send(":fake 900 %s %s!u@h %s :You are now logged in "
                         "as %s" % (nick, nick, nick, nick))
                    send(":fake 376 %s :End" % nick)
                elif m.command == "JOIN":
                    send(":%s!u@h JOIN %s" % (nick, m.params[0]))
                    send(":fake 353 %s = %s :%s" % (nick, m.params[0], nick))
                    send(":fake 366 %s %s :End" % (nick, m.params[0]))
                elif m.command == "TOKEN":
                    self.tokens += 1
                    if self.tokens == 1:
                        send(":fake TOKEN NEW tok-123")
                    else:
                        send(":fake FAIL TOKEN DISABLED :Uploads are off "
                             "for now")
                elif m.command == "SEARCH":
                    send(":fake BATCH +s1 soju.im/search")
                    send("@batch=s1;time=2024-05-01T10:00:00.000Z "
                         ":zoe!u@h PRIVMSG #c :found the needle here")
                    send(":fake BATCH -s1")
                elif m.command == "PING":
                    send(":fake PONG fake :" + m.params[0])

    def close(self):
        self.lsock.close()


def test_upload_and_search_contracts(tui_factory, tmp_path):
    import http.server
    import threading
    posted = {}

    class Up(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers["Content-Length"])
            posted["auth"] = self.headers["Authorization"]
            posted["disp"] = self.headers["Content-Disposition"]
            posted["path"] = self.path
            posted["body"] = self.rfile.read(n)
            self.send_response(201)
            self.send_header("Location", "/files/Xy7/notes.txt")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass
    web = http.server.HTTPServer(("127.0.0.1", 0), Up)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    hp = web.server_address[1]
    fake = FakeIrc("http://127.0.0.1:%d/upload" % hp)
    note = tmp_path / "notes.txt"
    note.write_bytes(b"hello, file\n" * 1000)
    try:
        t = tui_factory(["--plain", "--guest", "-n", "uma",
                         "127.0.0.1:%d" % fake.port], cols=220)
        t.wait("Welcome to the fake network")
        assert "[PLAIN]" in t.screen()
        t.type("/join #c")
        t.wait("You joined #c")
        t.type("/upload %s" % note)
        t.wait("Uploaded %s" % note)
        link = "http://127.0.0.1:%d/files/Xy7/notes.txt" % hp
        t.wait("<uma> " + link)
        assert posted["auth"] == "Bearer tok-123"
        assert posted["path"] == "/upload"
        assert posted["body"] == note.read_bytes()
        assert 'filename="notes.txt"' in posted["disp"]
        assert any(m.command == "PRIVMSG" and m.params == ["#c", link]
                   for m in fake.got)
        # The server says no: the reason, plainly.
        t.type("/upload %s" % note)
        t.wait("Upload: Uploads are off for now")
        # soju.im/search: results in a window of their own.
        t.type("/search needle")
        t.wait("search results")
        s = t.wait("1 result")
        assert "[#c] found the needle here" in s
        assert any(m.command == "SEARCH" and
                   m.params[0].startswith("in=#c;") and
                   "text=needle" in m.params[0] for m in fake.got)
    finally:
        fake.close()
        web.shutdown()

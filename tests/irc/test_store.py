"""The store under faults (BATTERY.md T39-T45): a full disk, a damaged
database, one from a newer version, kill -9 in the middle of a burst,
--durability full, and a read-only data directory.

The disk tests mount a small tmpfs on the data directory, which needs
root (the test machine and CI run as root); elsewhere they are skipped.
"""
import contextlib
import hashlib
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import TIMEOUT, Client, run_lanchatd

ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None,
    reason="mounting a tmpfs needs root")


@contextlib.contextmanager
def tmpfs(size):
    """A fresh tmpfs of size (like '4m'), mounted for the block."""
    d = tempfile.mkdtemp(prefix="lanchat-tmpfs-")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size,
                        "tmpfs", d], capture_output=True, text=True)
    if r.returncode != 0:
        os.rmdir(d)
        pytest.skip("cannot mount a tmpfs: " + r.stderr.strip())
    try:
        yield d
    finally:
        subprocess.run(["umount", "-l", d])
        os.rmdir(d)


def dbpath(s):
    return os.path.join(s.data, "lanchat.db")


def integrity(path):
    con = sqlite3.connect(path, timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def fill_history(s, n=1500, size=300):
    """n committed messages of about size bytes in #fill."""
    c = s.client("filler", caps=["echo-message"])
    c.send("JOIN #fill")
    c.expect("366")
    pad = "x" * size
    for i in range(n):
        c.send("PRIVMSG #fill :%d %s" % (i, pad))
    c.expect("PRIVMSG", timeout=20,
             pred=lambda m: m.params[1].startswith("%d " % (n - 1)))
    c.close()


def start_fails(data, *extra):
    """Start lanchatd on data, expecting it to refuse; its stderr."""
    r = run_lanchatd(["--data", data, "--listen", "127.0.0.1:0",
                      "--tls-listen", "none", "--http-listen", "none",
                      "--password-cost", "min"] + list(extra), timeout=30)
    assert r.returncode != 0, r.stdout
    assert "Connect with" not in r.stdout
    return r.stderr


# -- disk full ----------------------------------------------------------------

def fill_disk(d):
    """Write a filler file until the filesystem is full; its path."""
    path = os.path.join(d, "filler")
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass
    return path


@ROOT_ONLY
def test_disk_full_refuses_then_recovers(make_server):
    with tmpfs("4m") as d:
        s = make_server(["--flood-burst", "0"], data=d)
        caps = ["echo-message", "labeled-response", "batch",
                "message-tags", "standard-replies"]
        a = s.client("alice", caps=caps)
        a.send("REGISTER alice * correct-horse-battery")
        a.expect("REGISTER", p0="SUCCESS")
        r = run_lanchatd(["--data", d, "admin", "add", "alice"])
        assert r.returncode == 0, r.stderr
        a.expect("MODE", p1="+o")
        b = s.client("bob", caps=["message-tags"])
        for c in (a, b):
            c.send("JOIN #full")
            c.expect("366")
        b.drain(0.2)
        a.send("@label=ok0 PRIVMSG #full :before the disk filled")
        a.expect("PRIVMSG", pred=lambda m: m.tags.get("label") == "ok0")
        b.expect("PRIVMSG", p1="before the disk filled")

        filler = fill_disk(d)
        # Chat until the store runs out of room: each message is one
        # label, so every answer says what happened to which message.
        failed, echoed = set(), set()
        body = "y" * 400
        for i in range(400):
            a.send("@label=m%d PRIVMSG #full :%d %s" % (i, i, body))
            m = a.expect(timeout=10, pred=lambda m, i=i:
                         m.tags.get("label") == "m%d" % i)
            if m.command == "FAIL":
                assert m.params[:3] == ["PRIVMSG", "TEMPORARILY_UNAVAILABLE",
                                        "#full"], m
                assert "disk is full" in m.params[-1]
                failed.add(i)
                if len(failed) >= 5:
                    break
            else:
                assert m.command == "PRIVMSG" and \
                    m.params[1].startswith("%d " % i), m
                echoed.add(i)
        assert failed, "the disk never filled"
        # An announcement is not made when it cannot be kept.
        a.send("@label=an ANNOUNCE :lost")
        m = a.expect(timeout=10, pred=lambda m: m.tags.get("label") == "an")
        assert m.command == "FAIL" and m.params[:2] == [
            "ANNOUNCE", "TEMPORARILY_UNAVAILABLE"], m
        # Nor a change from the command line; it says why.
        r = run_lanchatd(["--data", d, "admin", "del", "alice"])
        assert r.returncode == 1 and "disk is full" in r.stderr, r.stderr
        # The server still serves: PING, WHOIS, a channel of its own.
        a.send("PING :alive")
        a.expect("PONG")
        a.send("WHOIS bob")
        a.expect("318")
        c = s.client("carol")
        c.send("JOIN #other")
        c.expect("366")
        # Nothing that failed reached bob; everything echoed did.
        seen = b.drain(0.5)
        got = {int(m.params[1].split()[0]) for m in seen
               if m.command == "PRIVMSG" and m.params[0] == "#full"
               and m.params[1][0].isdigit()}
        assert got == echoed
        assert not [m for m in seen if "lost" in m.raw]
        assert s.alive()

        os.unlink(filler)
        # By itself, without a restart: messages go through again.
        for i in range(20):
            a.send("@label=r%d PRIVMSG #full :after %d" % (i, i))
            m = a.expect(timeout=10, pred=lambda m, i=i:
                         m.tags.get("label") == "r%d" % i)
            assert m.command == "PRIVMSG", m
        b.expect("PRIVMSG", p1="after 19")
        assert integrity(dbpath(s)) == [("ok",)]
        s.stop()
        assert integrity(dbpath(s)) == [("ok",)]
        con = sqlite3.connect(dbpath(s))
        bodies = [r[0] for r in con.execute("SELECT body FROM history "
                                            "WHERE target = '#full'")]
        con.close()
        kept = {int(x.split()[0]) for x in bodies if x[0].isdigit()}
        assert kept == echoed            # failed ones were not kept
        assert "after 19" in bodies


# -- damaged or foreign databases ---------------------------------------------

def stopped_server_with_history(make_server):
    s = make_server(["--flood-burst", "0"])
    fill_history(s)
    s.stop()
    assert not os.path.exists(dbpath(s) + "-wal")
    return s


def test_truncated_database_refused(make_server):
    s = stopped_server_with_history(make_server)
    p = dbpath(s)
    size = os.path.getsize(p)
    assert size > 100 * 4096
    with open(p, "r+b") as f:
        f.truncate(size // 2)
    before = sha(p)
    err = start_fails(s.data)
    assert "lanchat.db: the database is damaged" in err, err
    assert "malformed" in err and "restore the last backup" in err, err
    assert sha(p) == before and os.path.getsize(p) == size // 2


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_flipped_pages_refused(make_server, journal):
    """Also for a file that is not in WAL mode: switching it to WAL would
    write the header, so that comes after the check."""
    s = stopped_server_with_history(make_server)
    p = dbpath(s)
    if journal != "wal":
        con = sqlite3.connect(p)
        con.execute("PRAGMA journal_mode=" + journal)
        con.close()
    size = os.path.getsize(p)
    pages = size // 4096
    # Garbage over pages in the middle, as dd conv=notrunc would write.
    r = subprocess.run(["dd", "if=/dev/urandom", "of=" + p, "bs=4096",
                        "seek=%d" % (pages // 2), "count=8", "conv=notrunc"],
                       capture_output=True)
    assert r.returncode == 0, r.stderr
    before = sha(p)
    err = start_fails(s.data)
    assert "lanchat.db: the database is damaged (the integrity check " \
        "failed" in err, err
    assert sha(p) == before and os.path.getsize(p) == size
    assert not os.path.exists(p + "-wal")


def test_not_a_database_refused(make_server):
    s = stopped_server_with_history(make_server)
    p = dbpath(s)
    with open(p, "r+b") as f:
        f.write(b"this is no database at all")
    before = sha(p)
    err = start_fails(s.data)
    assert "lanchat.db: the database is damaged" in err, err
    assert sha(p) == before


def test_newer_schema_refused(make_server):
    s = stopped_server_with_history(make_server)
    p = dbpath(s)
    con = sqlite3.connect(p)
    con.execute("PRAGMA user_version=99")
    con.close()
    before = sha(p)
    err = start_fails(s.data)
    assert "written by a newer lanchat (schema 99" in err, err
    assert "damaged" not in err
    assert sha(p) == before
    # The command-line tools refuse it too.
    r = run_lanchatd(["--data", s.data, "admin", "list"])
    assert r.returncode == 1 and "newer" in r.stderr
    assert sha(p) == before


@ROOT_ONLY
def test_read_only_data_dir(make_server):
    with tmpfs("8m") as d:
        s = make_server(data=d)
        s.stop()
        subprocess.run(["mount", "-o", "remount,ro", d], check=True)
        err = start_fails(d)
        assert "data directory: %s: Read-only file system" % d in err, err
        # The tools say why too, rather than "unable to open".
        r = run_lanchatd(["--data", d, "admin", "list"])
        assert r.returncode == 1 and "Read-only" in r.stderr, r.stderr


def test_read_only_data_dir_unprivileged(make_server, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere; see test_read_only_data_dir")
    d = str(tmp_path / "ro")
    s = make_server(data=d)
    s.stop()
    os.chmod(d, 0o555)
    try:
        err = start_fails(d)
        assert d in err, err
    finally:
        os.chmod(d, 0o755)


# -- kill -9 in a burst -------------------------------------------------------

class Burst(threading.Thread):
    """One client sending numbered messages as fast as it can, and
    keeping the echoes (with their msgids) it got before the end."""

    def __init__(self, port, n):
        super().__init__(daemon=True)
        self.n = n
        self.nick = "b%d" % n
        self.echoes = {}        # body -> msgid
        self.dups = []
        self.c = Client(port)
        self.c.register(self.nick, caps=["echo-message", "message-tags"])
        self.c.send("JOIN #burst")
        self.c.expect("366")
        self.stop = False

    def run(self):
        sock = self.c.sock
        sock.settimeout(0.2)
        buf = b""
        i = 0
        try:
            while not self.stop:
                lines = b"".join(b"PRIVMSG #burst :%s %d\r\n" % (
                    self.nick.encode(), i + k) for k in range(20))
                i += 20
                sock.sendall(lines)
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    break
                buf += data
                *full, buf = buf.split(b"\n")
                for raw in full:
                    self.take(raw)
        except OSError:
            pass

    def take(self, raw):
        line = raw.rstrip(b"\r").decode()
        if " PRIVMSG #burst :" not in line or not line.startswith("@"):
            return
        tags, rest = line[1:].split(" ", 1)
        if not rest.startswith(":%s!" % self.nick):
            return          # someone else's message
        tagd = dict(t.partition("=")[::2] for t in tags.split(";"))
        body = rest.split(" :", 1)[1]
        if body in self.echoes:
            self.dups.append(body)
        self.echoes[body] = tagd["msgid"]


def msgid_of(prefix, rowid, stored):
    if stored is not None:
        return stored
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    s = ""
    while True:
        s = digits[rowid % 36] + s
        rowid //= 36
        if rowid == 0:
            break
    return prefix + "-" + s


def check_history(path, senders):
    assert integrity(path) == [("ok",)]
    con = sqlite3.connect(path)
    prefix = con.execute("SELECT value FROM meta WHERE key = "
                         "'msgid_prefix'").fetchone()[0]
    rows = con.execute("SELECT id, body, msgid FROM history WHERE target = "
                       "'#burst' AND kind = 1").fetchall()
    con.close()
    stored = {}
    for rowid, body, mid in rows:
        assert body not in stored, "stored twice: %r" % body
        stored[body] = msgid_of(prefix, rowid, mid)
    ids = list(stored.values())
    assert len(ids) == len(set(ids)), "a msgid twice"
    acked = 0
    for b in senders:
        assert not b.dups, b.dups[:5]
        for body, mid in b.echoes.items():
            assert body in stored, "acknowledged but lost: %r" % body
            assert stored[body] == mid, (body, mid, stored[body])
            acked += 1
    return acked, len(stored)


@pytest.mark.parametrize("durability", ["normal", "full"])
def test_kill9_during_burst_loses_nothing_acknowledged(make_server,
                                                       durability):
    s = make_server(["--flood-burst", "0", "--durability", durability,
                     "--max-sendq", "64M"])
    senders = [Burst(s.port, n) for n in range(20)]
    for b in senders:
        b.start()
    time.sleep(random.uniform(0.3, 1.2))
    s.kill9()
    for b in senders:
        b.stop = True
    for b in senders:
        b.join(timeout=10)
        b.c.close()
    acked, stored = check_history(dbpath(s), senders)
    assert acked > 100, acked          # the burst was under way
    assert stored >= acked
    # It starts again on what the crash left, and serves the history.
    s.start()
    c = s.client("reader", caps=["draft/chathistory", "batch",
                                 "message-tags"])
    c.send("JOIN #burst")
    c.expect("366")
    c.send("CHATHISTORY LATEST #burst * 50")
    c.expect("BATCH")
    c.expect("PRIVMSG")
    s.stop()
    check_history(dbpath(s), senders)


def test_ids_skip_ahead_only_after_an_unclean_stop(make_server):
    """Message ids go on from the last row after a clean stop; after
    kill -9 they jump STORE_ID_SKIP ahead (rows written after the last
    flush could have been lost with their ids already shown), once."""
    def ids(s):
        con = sqlite3.connect(dbpath(s))
        try:
            return [r for r in con.execute(
                "SELECT id, kind FROM history ORDER BY id")]
        finally:
            con.close()

    def say(s, text):
        a = s.client("a" + str(time.monotonic_ns() % 100000),
                     caps=["echo-message"])
        a.send("JOIN #ids")
        a.expect("366")
        a.send("PRIVMSG #ids :" + text)
        a.expect("PRIVMSG", p1=text)
        a.close()

    s = make_server()
    say(s, "one")
    s.stop()
    s.start()
    say(s, "two")
    assert "message ids go on from" not in s.log()
    got = ids(s)
    assert [k for _, k in got if k == 1] == [1, 1]
    assert got[-1][0] < 1000
    s.kill9()
    s.start()
    assert "message ids go on from" in s.log()
    say(s, "three")
    got = ids(s)
    last = [i for i, k in got if k == 1][-1]
    skip = [i for i, k in got if k == 14]
    assert len(skip) == 1 and skip[0] >= 10 ** 9 and last > skip[0]
    # The placeholder is in no conversation.
    c = s.client("reader", caps=["draft/chathistory", "batch",
                                 "message-tags", "server-time"])
    c.send("JOIN #ids")
    c.expect("366")
    c.send("CHATHISTORY LATEST #ids * 10")
    c.expect("BATCH", pred=lambda m: m.params[0].startswith("-"))
    texts = [m.params[-1] for m in c.lines if m.command == "PRIVMSG"]
    assert texts == ["one", "two", "three"]
    s.stop()
    s.start()
    assert "message ids go on from" not in s.log()


def test_durability_full_accepted(make_server):
    s = make_server(["--durability", "full"])
    a = s.client("alice", caps=["echo-message"])
    a.send("JOIN #d")
    a.expect("366")
    a.send("PRIVMSG #d :synced")
    a.expect("PRIVMSG", p1="synced")
    s.kill9()
    con = sqlite3.connect(dbpath(s))
    assert ("synced",) in con.execute("SELECT body FROM history").fetchall()
    con.close()
    r = run_lanchatd(["--data", s.data, "--durability", "sometimes"])
    assert r.returncode == 2 and "durability" in r.stderr

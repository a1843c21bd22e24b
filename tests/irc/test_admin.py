"""Server administration: the command-line subcommands (lanchatd admin
..., lanchatd backup FILE) with and without a running server, and the
admins' IRC commands (KILL, SUSPEND, UNSUSPEND, APPROVE, BAN, ANNOUNCE).

Address bans are tested from other loopback addresses: Linux routes all
of 127.0.0.0/8 to lo, so a client bound to 127.0.0.2 reaches the server
on 127.0.0.1 and is seen as 127.0.0.2."""
import base64
import os
import socket
import sqlite3
import ssl
import time

import pytest

from conftest import TIMEOUT, Client, run_lanchatd

PW = "correct-horse-battery"


def cli(s, *args):
    """Run lanchatd --data <s's data> args... and return the result."""
    data = s if isinstance(s, str) else s.data
    return run_lanchatd(["--data", data] + list(args))


def cli_live(s, *args):
    """cli() on a running server, then wait until the server has read
    the database again (its SIGHUP reload ends with the bans)."""
    before = s.log().count("reloaded bans")
    r = cli(s, *args)
    assert r.returncode == 0, r.stderr
    deadline = time.monotonic() + TIMEOUT
    while s.log().count("reloaded bans") == before:
        assert time.monotonic() < deadline, "no reload:\n" + s.log()[-2000:]
        time.sleep(0.02)
    return r


def connect(s, src="127.0.0.1", host="127.0.0.1", port=None, tls=False):
    """A raw client connected from the local address src."""
    c = Client.__new__(Client)
    c.timeout = TIMEOUT
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.bind((src, 0))
    sock.connect((host, port or (s.tls_port if tls else s.port)))
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(sock, server_hostname=host)
    c.sock = sock
    c.buf = b""
    c.lines = []
    c.pending = []
    c.nick = None
    c.closed = False
    s.clients.append(c)
    return c


def register(s, nick, pw=PW, caps=(), expect="SUCCESS"):
    """A client that makes the account nick and is logged into it."""
    c = s.client(nick, caps=caps)
    c.send("REGISTER %s * %s" % (nick, pw))
    c.expect("REGISTER", p0=expect)
    c.drain(0.1)
    return c


def login(s, account, pw=PW, caps=(), src="127.0.0.1", ok=True, nick=None):
    """Connect and log in with SASL PLAIN while registering (with a nick
    of its own for a second device: it joins the user online)."""
    c = connect(s, src)
    c.nick = nick or account
    c.send("CAP LS 302")
    c.send("CAP REQ :" + " ".join(["sasl"] + list(caps)))
    c.send("NICK " + c.nick)
    c.send("USER u 0 * :Real Name")
    ack = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert ack.params[1] == "ACK", ack
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    blob = ("%s\0%s\0%s" % (account, account, pw)).encode()
    c.send("AUTHENTICATE " + base64.b64encode(blob).decode())
    m = c.expect(pred=lambda m: m.command in ("903", "904"))
    if not ok:
        assert m.command == "904", m
        c.send("QUIT")
        c.wait_closed()
        return c
    assert m.command == "903", m
    c.send("CAP END")
    c.expect("001")
    return c


def make_admin(s, nick="alice"):
    """Register nick and make it an admin from the command line."""
    a = register(s, nick)
    r = cli(s, "admin", "add", nick)
    assert r.returncode == 0, r.stderr
    assert "%s is now an administrator" % nick in r.stdout
    assert "Told the running server" in r.stdout
    a.expect("MODE", p0=nick, p1="+o")
    return a


def error_of(c):
    """The ERROR line a closed client got."""
    seen = c.wait_closed(timeout=5)
    err = [m for m in seen if m.command == "ERROR"]
    assert err, seen
    return err[-1].params[-1]


def db(s):
    return sqlite3.connect(os.path.join(s.data, "lanchat.db"), timeout=10)


# -- the command line ------------------------------------------------------

def test_cli_admin_add_gives_oper_to_online_user(make_server):
    s = make_server()
    a = make_admin(s)
    a.send("MODE alice")
    assert "o" in a.expect("221").params[1]
    # The admin commands now pass the dispatcher.
    a.send("BAN LIST")
    a.expect("NOTICE", pred=lambda m: "End of BAN LIST" in m.params[-1])
    bob = s.client("bob")
    bob.send("BAN LIST")
    bob.expect("481")
    bob.send("KILL alice :no")
    bob.expect("481")
    bob.send("ANNOUNCE :hi")
    bob.expect("481")
    # list shows the role; the flag is in the database.
    r = cli(s, "admin", "list")
    assert r.returncode == 0
    assert "alice" in r.stdout and "administrator" in r.stdout
    assert db(s).execute("SELECT flags & 1 FROM accounts WHERE fold = "
                         "'alice'").fetchone() == (1,)


def test_cli_admin_del_takes_oper_away(make_server):
    s = make_server()
    a = make_admin(s)
    r = cli(s, "admin", "del", "alice")
    assert r.returncode == 0 and "no longer an administrator" in r.stdout
    a.expect("MODE", p0="alice", p1="-o")
    a.send("BAN LIST")
    a.expect("481")
    # Nothing to do twice: still exit 0, and it says so.
    r = cli(s, "admin", "del", "alice")
    assert r.returncode == 0 and "is not an administrator" in r.stdout


def test_cli_works_without_a_server(make_server):
    s = make_server()
    register(s, "alice")
    s.stop()
    r = cli(s, "admin", "add", "ALICE")      # any case of the name
    assert r.returncode == 0, r.stderr
    assert "alice is now an administrator" in r.stdout
    assert "not running" in r.stdout
    s.start()
    a = login(s, "alice")
    a.expect("MODE", pred=lambda m: "o" in m.params[-1])
    a.send("BAN LIST")
    a.expect("NOTICE", pred=lambda m: "End of BAN LIST" in m.params[-1])


def test_cli_errors(make_server, tmp_path):
    s = make_server()
    r = cli(s, "admin", "add", "nobody")
    assert r.returncode == 1
    assert "no account named 'nobody'" in r.stderr
    r = cli(str(tmp_path / "missing"), "admin", "list")
    assert r.returncode == 1
    assert "no database" in r.stderr
    assert not (tmp_path / "missing").exists()   # nothing made
    for bad in (["admin"], ["admin", "add"], ["admin", "frob", "x"],
                ["admin", "list", "x"], ["backup"]):
        r = cli(s, *bad)
        assert r.returncode == 2, bad
        assert "usage" in r.stderr, bad
    r = cli(s, "admin", "unban", "not-an-address")
    assert r.returncode == 1 and "not an address" in r.stderr
    r = cli(s, "admin", "unban", "10.0.0.1")
    assert r.returncode == 1 and "not banned" in r.stderr


def test_cli_suspend_ends_sessions_and_blocks_login(make_server):
    s = make_server()
    b = register(s, "bob")
    b2 = login(s, "bob", nick="bobphone")   # a second device
    watcher = s.client("carol")
    for c in (b, watcher):
        c.send("JOIN #room")
        c.expect("366")
    watcher.drain(0.2)
    r = cli(s, "admin", "suspend", "bob")
    assert r.returncode == 0 and "bob is suspended" in r.stdout
    for c in (b, b2):
        assert "suspended" in error_of(c)
    q = watcher.expect("QUIT")
    assert q.nick == "bob" and "suspended" in q.params[-1]
    login(s, "bob", ok=False)
    r = cli(s, "admin", "list")
    assert "bob" in r.stdout and "suspended" in r.stdout
    r = cli_live(s, "admin", "unsuspend", "bob")
    assert "no longer suspended" in r.stdout
    login(s, "bob")


def test_cli_approve_lets_account_in(make_server):
    s = make_server(["--registration", "approval"])
    register(s, "dave", expect="VERIFICATION_REQUIRED").close()
    login(s, "dave", ok=False)
    r = cli(s, "admin", "list")
    assert "dave" in r.stdout and "waiting-for-approval" in r.stdout
    r = cli_live(s, "admin", "approve", "dave")
    assert "dave is approved" in r.stdout
    login(s, "dave")
    r = cli(s, "admin", "approve", "dave")
    assert r.returncode == 0 and "does not wait" in r.stdout


def test_cli_change_while_server_writes(make_server):
    """The command line waits for the server's commits (busy timeout)
    instead of failing while it writes."""
    s = make_server()
    register(s, "alice")
    talkers = [s.client("t%d" % i, caps=["echo-message"]) for i in range(4)]
    for t in talkers:
        t.send("JOIN #busy")
        t.expect("366")
    for round_ in range(5):
        for t in talkers:
            for i in range(50):
                t.send("PRIVMSG #busy :burst %d %d" % (round_, i))
        r = cli(s, "admin", "add" if round_ % 2 == 0 else "del", "alice")
        assert r.returncode == 0, r.stderr


# -- backup -----------------------------------------------------------------

def test_backup_while_running(make_server, tmp_path):
    s = make_server()
    a = s.client("alice", caps=["echo-message", "message-tags"])
    a.send("JOIN #b")
    a.expect("366")
    for i in range(200):
        a.send("PRIVMSG #b :before %d" % i)
    for i in range(200):
        a.expect("PRIVMSG", p1="before %d" % i)   # all committed
    # Chat goes on while the copy is made.
    for i in range(200):
        a.send("PRIVMSG #b :during %d" % i)
    out = tmp_path / "copy.db"
    r = cli(s, "backup", str(out))
    assert r.returncode == 0, r.stderr
    assert "written to" in r.stdout
    assert not (tmp_path / "copy.db.partial").exists()
    con = sqlite3.connect(str(out))
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    bodies = {b for (b,) in con.execute("SELECT body FROM history")}
    for i in range(200):
        assert "before %d" % i in bodies
    con.close()
    # The copy starts a server with the history.
    os.mkdir(str(tmp_path / "restored"))
    s2 = make_server(data=str(tmp_path / "restored"))
    s2.stop()
    os.replace(str(out), os.path.join(s2.data, "lanchat.db"))
    for ext in ("-wal", "-shm"):
        try:
            os.unlink(os.path.join(s2.data, "lanchat.db" + ext))
        except FileNotFoundError:
            pass
    s2.start()
    c = s2.client("reader", caps=["draft/chathistory", "batch",
                                  "message-tags", "server-time"])
    c.send("JOIN #b")
    c.expect("366")
    c.send("CHATHISTORY LATEST #b * 1000")
    c.expect("BATCH")
    c.expect("PRIVMSG", p1="before 199")
    # The file exists now: a second backup to it is refused.
    out.write_bytes(b"keep")
    r = cli(s, "backup", str(out))
    assert r.returncode == 1 and "exists" in r.stderr
    assert out.read_bytes() == b"keep"


def test_backup_without_server(make_server, tmp_path):
    s = make_server()
    a = s.client("alice", caps=["echo-message"])
    a.send("JOIN #b")
    a.expect("366")
    a.send("PRIVMSG #b :kept")
    a.expect("PRIVMSG", p1="kept")
    s.stop()
    out = tmp_path / "offline.db"
    r = cli(s, "backup", str(out))
    assert r.returncode == 0, r.stderr
    con = sqlite3.connect(str(out))
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert ("kept",) in con.execute("SELECT body FROM history").fetchall()
    r = cli(str(tmp_path / "nowhere"), "backup", str(tmp_path / "x.db"))
    assert r.returncode == 1 and "lanchat.db" in r.stderr


# -- KILL ---------------------------------------------------------------------

def test_kill_ends_every_session(make_server):
    s = make_server()
    a = make_admin(s)
    b = register(s, "bob")
    b2 = login(s, "bob", nick="bobphone")
    carol = s.client("carol")
    for c in (b, carol):
        c.send("JOIN #k")
        c.expect("366")
    carol.drain(0.2)
    a.send("KILL bob :spamming the room")
    for c in (b, b2):
        assert error_of(c) == "Killed by alice (spamming the room)"
    q = carol.expect("QUIT")
    assert q.nick == "bob"
    assert q.params[-1] == "Killed (alice (spamming the room))"
    a.expect("NOTICE", pred=lambda m: "Killed bob" in m.params[-1])
    # bob may come back: a kill is not a ban.
    login(s, "bob")


def test_kill_errors(make_server):
    s = make_server()
    a = make_admin(s)
    a.send("KILL nobody :x")
    a.expect("401", p1="nobody")
    a.send("KILL")
    a.expect("461")
    b = s.client("bob")
    a.send("KILL bob")                       # the reason is optional
    assert "Killed by alice" in error_of(b)


# -- SUSPEND / UNSUSPEND / APPROVE -------------------------------------------

def test_suspend_from_irc(make_server):
    s = make_server()
    a = make_admin(s)
    b = register(s, "bob")
    a.send("SUSPEND bob :posting spam")
    assert error_of(b) == "Account suspended by alice (posting spam)"
    a.expect("NOTICE", pred=lambda m: "bob is suspended" in m.params[-1])
    login(s, "bob", ok=False)
    # NickServ says why.
    c = s.client("bobby")
    c.send("NS IDENTIFY bob " + PW)
    c.expect("NOTICE", pred=lambda m: "suspended" in m.params[-1])
    # Persisted: the flag is on disk and survives a restart.
    assert db(s).execute("SELECT flags & 2 FROM accounts WHERE fold = "
                         "'bob'").fetchone() == (2,)
    s.restart()
    login(s, "bob", ok=False)
    a = login(s, "alice")
    a.send("UNSUSPEND bob")
    a.expect("NOTICE", pred=lambda m: "no longer suspended" in m.params[-1])
    login(s, "bob")


def test_suspend_errors(make_server):
    s = make_server(["--registration", "approval"])
    register(s, "alice", expect="VERIFICATION_REQUIRED").close()
    cli_live(s, "admin", "approve", "alice")
    cli_live(s, "admin", "add", "alice")
    a = login(s, "alice", caps=["standard-replies"])
    a.send("SUSPEND nobody")
    a.expect("FAIL", p0="SUSPEND", p1="ACCOUNT_DOES_NOT_EXIST")
    a.send("SUSPEND alice :oops")
    a.expect("FAIL", p0="SUSPEND", p1="CANNOT_SUSPEND_SELF")
    a.send("UNSUSPEND alice")
    a.expect("NOTICE", pred=lambda m: "nothing changed" in m.params[-1])
    a.send("SUSPEND")
    a.expect("461")
    # APPROVE from IRC.
    register(s, "erin", expect="VERIFICATION_REQUIRED").close()
    login(s, "erin", ok=False)
    a.send("APPROVE erin")
    a.expect("NOTICE", pred=lambda m: "erin is approved" in m.params[-1])
    login(s, "erin")


def test_suspend_with_labeled_response(make_server):
    s = make_server()
    make_admin(s)
    register(s, "bob")
    a = login(s, "alice", caps=["labeled-response", "batch", "message-tags"],
              nick="alice2")
    a.send("@label=s1 SUSPEND bob :x")
    m = a.expect("NOTICE")
    assert m.tags.get("label") == "s1", m


# -- BAN ----------------------------------------------------------------------

def test_ban_closes_and_refuses_connections(make_server):
    s = make_server()
    a = make_admin(s)
    b = connect(s, "127.0.0.2").register("bob")
    u = connect(s, "127.0.0.2")              # not registered yet
    t = connect(s, "127.0.0.2", tls=True).register("tessa")
    other = connect(s, "127.0.0.3").register("carol")
    a.send("BAN ADD 127.0.0.2 :flooding")
    a.expect("NOTICE", pred=lambda m: "Banned 127.0.0.2" in m.params[-1]
             and "3 connections closed" in m.params[-1])
    for c in (b, u, t):
        assert error_of(c) == "Banned (flooding)"
    n = connect(s, "127.0.0.2")
    assert error_of(n) == "Banned (flooding)"
    other.send("PING :still")
    other.expect("PONG")
    a.send("BAN LIST")
    m = a.expect("NOTICE", pred=lambda m: "127.0.0.2" in m.params[-1])
    assert "alice" in m.params[-1] and "flooding" in m.params[-1]
    a.expect("NOTICE", pred=lambda m: "End of BAN LIST (1 ban)"
             in m.params[-1])
    # Kept over a restart.
    s.restart()
    assert error_of(connect(s, "127.0.0.2")) == "Banned (flooding)"
    a = login(s, "alice")
    a.send("BAN DEL 127.0.0.2")
    a.expect("NOTICE", pred=lambda m: "lifted" in m.params[-1])
    connect(s, "127.0.0.2").register("bob")


def test_ban_networks_and_errors(make_server):
    s = make_server()
    a = make_admin(s)
    a.send("CAP REQ standard-replies")
    a.expect("CAP")
    a.send("BAN ADD 127.0.0.0/8")            # covers the admin's address
    a.expect("FAIL", p0="BAN", p1="WOULD_BAN_SELF")
    a.send("BAN ADD banana")
    a.expect("FAIL", p0="BAN", p1="INVALID_MASK")
    a.send("BAN ADD 10.0.0.1/33")
    a.expect("FAIL", p0="BAN", p1="INVALID_MASK")
    a.send("BAN DEL 10.9.9.9")
    a.expect("FAIL", p0="BAN", p1="NO_SUCH_BAN")
    a.send("BAN FROB x")
    a.expect("FAIL", p0="BAN", p1="INVALID_PARAMS")
    a.send("BAN ADD")
    a.expect("461")
    # Host bits are cleared; the canonical form is what is listed.
    a.send("BAN ADD 10.1.2.3/16 :lab")
    a.expect("NOTICE", pred=lambda m: "Banned 10.1.0.0/16" in m.params[-1])
    a.send("BAN ADD 10.1.9.9/16")
    a.expect("FAIL", p0="BAN", p1="ALREADY_BANNED")
    a.send("BAN ADD 2001:DB8:0:0::1/32 :v6 lab")
    a.expect("NOTICE", pred=lambda m: "Banned 2001:db8::/32" in m.params[-1])
    # An address that starts with ':' would be a trailing parameter:
    # IPv6 ones are written with a leading 0 (0::1).
    a.send("BAN ADD 0::ffff:192.0.2.0/120")  # mapped: the IPv4 network
    a.expect("NOTICE", pred=lambda m: "Banned 192.0.2.0/24" in m.params[-1])
    a.send("BAN ADD 127.0.0.4/31 :two")
    a.expect("NOTICE", pred=lambda m: "Banned 127.0.0.4/31" in m.params[-1])
    assert error_of(connect(s, "127.0.0.5")) == "Banned (two)"
    connect(s, "127.0.0.6").register("fine")
    # The command line lists them and can lift one (the server reloads).
    r = cli(s, "admin", "bans")
    assert r.returncode == 0
    for mask in ("10.1.0.0/16", "2001:db8::/32", "192.0.2.0/24",
                 "127.0.0.4/31"):
        assert mask in r.stdout, r.stdout
    cli_live(s, "admin", "unban", "127.0.0.5/31")   # any spelling
    connect(s, "127.0.0.5").register("back")
    a.send("BAN LIST")
    a.expect("NOTICE", pred=lambda m: "End of BAN LIST (3 bans)"
             in m.params[-1])


def test_ban_ipv6(make_server):
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback")
    s = make_server(["--listen", "[::1]:0"])
    port6 = None
    for line in s.banner:
        if "listening" in line and "[::1]" in line:
            port6 = int(line.rsplit(":", 1)[1])
    assert port6, s.banner
    a = make_admin(s)
    b = connect(s, "::1", host="::1", port=port6).register("bob")
    a.send("BAN ADD 0::1/128 :v6")
    assert error_of(b) == "Banned (v6)"
    assert error_of(connect(s, "::1", host="::1", port=port6)) == \
        "Banned (v6)"
    connect(s, "127.0.0.1").register("v4ok")


# -- ANNOUNCE -----------------------------------------------------------------

def test_announce_reaches_everyone_and_waits_for_the_absent(make_server):
    s = make_server()
    a = make_admin(s)
    d = register(s, "dave")                   # has an account, then leaves
    d.send("QUIT :bye")
    d.wait_closed()
    e = register(s, "erin")
    e.send("QUIT :bye")
    e.wait_closed()
    guest = s.client("guest", caps=["server-time", "message-tags"])
    time.sleep(0.05)
    a.send("ANNOUNCE :The server restarts at noon")
    for c in (a, guest):
        m = c.expect("NOTICE", pred=lambda m: "Announcement" in m.params[-1])
        assert m.source == "test.lanchat"
        assert m.params[0] == c.nick
        assert m.params[-1] == \
            "[Announcement from alice] The server restarts at noon"
    assert "msgid" in m.tags and "time" in m.tags     # guest's copy
    # Kept in history, outside every conversation.
    row = db(s).execute("SELECT target, dm_lo, dm_hi, kind, body FROM history "
                        "WHERE kind = 11").fetchone()
    assert row == ("", None, None, 11, "The server restarts at noon")
    # dave was away: he sees it when he logs in; so does erin with a
    # client that asks for history itself.
    d = login(s, "dave")
    m = d.expect("NOTICE", pred=lambda m: "Announcement" in m.params[-1])
    assert m.params == ["dave", "[Announcement from alice] The server "
                        "restarts at noon"]
    e = login(s, "erin", caps=["draft/chathistory", "batch", "server-time"])
    m = e.expect("NOTICE", pred=lambda m: "Announcement" in m.params[-1])
    assert "time" in m.tags
    # Once seen, never again; and CHATHISTORY does not show it.
    for c in (d, e):
        c.send("QUIT")
        c.wait_closed()
    time.sleep(0.05)
    d = login(s, "dave")
    d.send("PING :end")
    got = d.expect("PONG")
    assert not [m for m in d.lines if "Announcement" in m.raw], got
    e = login(s, "erin", caps=["draft/chathistory", "batch", "server-time"])
    e.send("PING :end")
    e.expect("PONG")
    assert not [m for m in e.lines if "Announcement" in m.raw]


def test_announce_errors_and_label(make_server):
    s = make_server()
    make_admin(s)
    a = login(s, "alice", caps=["labeled-response", "batch"], nick="alice2")
    a.send("ANNOUNCE")
    a.expect("461")
    a.send("ANNOUNCE :   ")
    a.expect("412")
    a.send("@label=an1 ANNOUNCE :labeled")
    m = a.expect("NOTICE", pred=lambda m: "labeled" in m.params[-1])
    assert m.tags.get("label") == "an1"
    # Words without ':' are joined.
    a.send("ANNOUNCE two words")
    a.expect("NOTICE", pred=lambda m: m.params[-1].endswith("] two words"))


def test_help_lists_admin_commands_to_admins_only(make_server):
    s = make_server()
    a = make_admin(s)
    b = s.client("bob")
    for c in (a, b):
        c.send("HELP")
        c.expect("706")
    seen_a = [m.params[-1] for m in a.lines if m.command == "705"]
    seen_b = [m.params[-1] for m in b.lines if m.command == "705"]
    for verb in ("KILL", "SUSPEND", "UNSUSPEND", "APPROVE", "BAN",
                 "ANNOUNCE"):
        line = [t for t in seen_a if t.split()[0] == verb]
        assert line and "Admins:" in line[0], (verb, seen_a)
        assert not [t for t in seen_b if t.split()[0] == verb]
    b.send("HELP kill")                      # asked by name: it says
    b.expect("705", p1="KILL")


"""Accounts: REGISTER (draft/account-registration), SASL PLAIN and
EXTERNAL, login throttling, NickServ, nick ownership, account-tag /
account-notify / extended-join after login, and one account on several
devices (multi-device sessions).

Servers here run with --password-cost min (conftest), so a password check
takes milliseconds."""
import base64
import hashlib
import os
import sqlite3
import ssl
import statistics
import subprocess
import time

import pytest

from conftest import Client, sasl_plain

PW = "correct-horse"


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def reg_start(server, caps=("draft/account-registration",), nick=None):
    """A connection in CAP negotiation (registration not finished)."""
    c = Client(server.port)
    server.clients.append(c)
    c.send("CAP LS 302")
    c.expect("CAP", p1="LS")
    c.send("CAP REQ :" + " ".join(caps))
    c.expect("CAP", p1="ACK")
    if nick is not None:
        c.nick = nick
        c.send("NICK " + nick)
        c.send("USER u 0 * :Real Name")
    return c


def finish(c):
    c.send("CAP END")
    c.expect("001")
    c.expect(pred=lambda m: m.command in ("376", "422"))
    c.drain(0.05)
    return c


def sasl_start(server, caps=(), tls=False, ssl_context=None, nick="someone"):
    """A connection with the sasl cap, NICK and USER sent, not registered."""
    c = Client(server.tls_port if tls else server.port, tls=tls,
               ssl_context=ssl_context)
    server.clients.append(c)
    c.nick = nick
    c.send("CAP LS 302")
    c.send("CAP REQ :" + " ".join(["sasl"] + list(caps)))
    c.send("NICK " + nick)
    c.send("USER u 0 * :Real Name")
    c.expect("CAP", p1="ACK")
    c.drain(0.05)
    return c


def sasl_try(c, payload, mech="PLAIN"):
    """One SASL exchange; returns the numeric that ended it."""
    c.send("AUTHENTICATE " + mech)
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE " + payload)
    return c.expect(pred=lambda m: m.command in ("903", "904", "905", "906"))


def whois_account(c, nick):
    c.send("WHOIS " + nick)
    acct = None
    while True:
        m = c.expect(pred=lambda m: m.command in ("330", "318"))
        if m.command == "318":
            return acct
        acct = m.params[2]


def ns_notices(c, settle=0.3):
    """The text of the NickServ notices that arrive (until quiet)."""
    return [m.params[-1] for m in c.drain(settle)
            if m.command == "NOTICE" and m.nick == "NickServ"]


def ns_wait(c, words):
    """Wait for a NickServ notice that contains `words`."""
    return c.expect("NOTICE", pred=lambda m: m.nick == "NickServ" and
                    words in m.params[-1])


def ns_seen(c, words):
    """A NickServ notice with `words`, already received (even if drained
    by register()) or still to come."""
    for m in c.lines:
        if m.command == "NOTICE" and m.nick == "NickServ" and \
                words in m.params[-1]:
            return m
    return ns_wait(c, words)


# -- REGISTER (draft/account-registration)

def test_register_cap_advertised(server):
    c = Client(server.port)
    server.clients.append(c)
    c.send("CAP LS 302")
    caps = " ".join(m.params[-1] for m in [c.expect("CAP", p1="LS")])
    tokens = dict(t.partition("=")[::2] for t in caps.split())
    assert "before-connect" in tokens["draft/account-registration"].split(",")
    assert "custom-account-name" in \
        tokens["draft/account-registration"].split(",")
    # Plain TCP: no EXTERNAL, which needs a TLS client certificate
    # (test_battery_a.py::test_t23_sasl_external has both).
    assert "PLAIN" in tokens["sasl"].split(",")
    assert "EXTERNAL" not in tokens["sasl"].split(",")


def test_register_after_connection(server):
    c = server.client("alice", caps=["draft/account-registration"])
    c.send("REGISTER * * " + "s3cret-pass")
    m = c.expect("REGISTER")
    assert m.params[:2] == ["SUCCESS", "alice"]
    lin = c.expect("900")
    assert lin.params[0] == "alice" and lin.params[2] == "alice"
    assert lin.params[1].startswith("alice!")
    assert whois_account(c, "alice") == "alice"


def test_register_before_connection(server):
    c = reg_start(server, nick="bob")
    c.send("REGISTER * * " + PW)
    m = c.expect("REGISTER")
    assert m.params[:2] == ["SUCCESS", "bob"]
    assert c.expect("900").params[2] == "bob"
    assert not any(x.command == "001" for x in c.lines)
    finish(c)
    assert whois_account(c, "bob") == "bob"


def test_register_star_is_the_nick(server):
    c = server.client("Carol")
    c.send("REGISTER * * " + PW)
    assert c.expect("REGISTER").params[:2] == ["SUCCESS", "Carol"]


def test_register_custom_account_name(server):
    c = server.client("dave")
    c.send("REGISTER david * " + PW)
    assert c.expect("REGISTER").params[:2] == ["SUCCESS", "david"]
    assert c.expect("900").params[2] == "david"
    assert whois_account(c, "dave") == "david"


def test_register_account_exists(server):
    server.register_account("erin", PW)
    c = server.client("other")
    c.send("REGISTER ERIN * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "ACCOUNT_EXISTS", "ERIN"]
    c.assert_silent(0.2)


def test_register_account_exists_before_connection(server):
    server.register_account("erin", PW)
    c = reg_start(server, nick="newbie")
    c.send("REGISTER erin * " + PW)
    m = c.expect("FAIL")
    assert m.params[:2] == ["REGISTER", "ACCOUNT_EXISTS"]
    finish(c)


@pytest.mark.parametrize("name", ["#chan", "NickServ", "a,b", "1abc",
                                  "x" * 80, "Ivаn"])
def test_register_bad_account_name(server, name):
    # "Ivаn" mixes a Cyrillic а into a Latin name.
    c = server.client("someone")
    c.send("REGISTER %s * %s" % (name, PW))
    m = c.expect("FAIL")
    assert m.params[:2] == ["REGISTER", "BAD_ACCOUNT_NAME"], m
    c.assert_silent(0.2)


def test_register_weak_password(server):
    c = server.client("frank")
    c.send("REGISTER * * short")
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "WEAK_PASSWORD", "frank"]
    # The client may try again with a better one.
    c.send("REGISTER * * " + PW)
    assert c.expect("REGISTER").params[0] == "SUCCESS"


def test_register_unacceptable_password(server):
    c = server.client("gina")
    c.send("REGISTER * * " + "p" * 300)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "UNACCEPTABLE_PASSWORD", "gina"]


def test_register_already_authenticated(server):
    c = server.client("hank")
    c.send("REGISTER * * " + PW)
    c.expect("900")
    c.send("REGISTER another * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "ALREADY_AUTHENTICATED", "hank"]


def test_register_need_nick(server):
    c = reg_start(server)
    c.send("REGISTER * * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "NEED_NICK", "*"]


def test_register_closed(make_server):
    s = make_server(["--registration", "closed"])
    c = s.client("ivy")
    c.send("REGISTER * * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "TEMPORARILY_UNAVAILABLE", "ivy"]
    c.send("NS REGISTER " + PW)
    assert ns_wait(c, "does not take new accounts")
    c.send("WHOIS ivy")
    assert not any(m.command == "330" for m in c.drain(0.3))


def test_register_approval(make_server):
    s = make_server(["--registration", "approval"])
    c = s.client("jack")
    c.send("REGISTER * * " + PW)
    m = c.expect("REGISTER")
    assert m.params[:2] == ["VERIFICATION_REQUIRED", "jack"]
    assert not any(x.command == "900" for x in c.drain(0.3))
    # Not approved: SASL fails, with a NOTE that says why.
    t = sasl_start(s, nick="jack2")
    assert sasl_try(t, sasl_plain("jack", PW)).command == "904"
    note = t.expect("NOTE")
    assert note.params[:2] == ["AUTHENTICATE", "ACCOUNT_UNAVAILABLE"]
    t.send("AUTHENTICATE *")
    t.expect("906")
    # NickServ refuses too.
    c.send("NS IDENTIFY " + PW)
    assert ns_wait(c, "approval")
    # The administrator approves (the row, while the server is down).
    s.stop()
    db = sqlite3.connect(s.path("lanchat.db"))
    db.execute("UPDATE accounts SET flags = flags & ~4 WHERE fold = 'jack'")
    db.commit()
    db.close()
    s.start()
    c = s.sasl_client("jack", "jack", PW)
    assert whois_account(c, "jack") == "jack"


def test_register_password_never_stored_in_clear(make_server):
    s = make_server(["--verbose", "1", "--trace", "irc,db"])
    secret = "Zebra-Quartz-9931"
    newer = "Yak-Umbrella-4471"
    c = s.client("kate")
    c.send("REGISTER * * " + secret)
    c.expect("900")
    c.send("QUIT")
    c.wait_closed()
    c = s.sasl_client("kate", "kate", secret)
    c.send("PRIVMSG NickServ :IDENTIFY kate " + secret)
    ns_wait(c, "already logged in")
    c.send("NS SET PASSWORD " + secret + " " + newer)
    ns_wait(c, "password is changed")
    t = s.client("other")
    t.send("NS IDENTIFY kate " + secret + "-wrong")
    ns_wait(t, "Wrong")
    s.stop()
    needles = [x.encode() for x in (secret, newer)]
    needles += [sasl_plain("kate", secret).encode()]
    for root, _, files in os.walk(s.data):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                data = fh.read()
            for n in needles:
                assert n not in data, "%r found in %s" % (n, f)
    s.start()


def test_accounts_survive_restart(server):
    server.register_account("luke", PW)
    c = server.client("mia")
    c.send("REGISTER mia-acct * " + PW)
    c.expect("900")
    server.restart()
    c = server.sasl_client("luke", "luke", PW)
    d = server.sasl_client("mia", "MIA-ACCT", PW)
    assert whois_account(c, "mia") == "mia-acct"
    t = server.client("nate")
    t.send("REGISTER luke * " + PW)
    assert t.expect("FAIL").params[1] == "ACCOUNT_EXISTS"
    d.close()


# -- SASL PLAIN

def test_sasl_plain_success(server):
    server.register_account("olga", PW)
    c = sasl_start(server, nick="olga")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE " + sasl_plain("olga", PW))
    lin = c.expect("900")
    assert lin.params[0] == "olga" and lin.params[2] == "olga"
    c.expect("903")
    finish(c)
    assert whois_account(c, "olga") == "olga"


def test_sasl_plain_wrong_password(server):
    server.register_account("paul", PW)
    c = sasl_start(server, nick="paul")
    assert sasl_try(c, sasl_plain("paul", PW + "x")).command == "904"
    # The state is back at the start: a second try works.
    assert sasl_try(c, sasl_plain("paul", PW)).command == "903"


def test_sasl_unknown_account_looks_like_wrong_password(server):
    server.register_account("quinn", PW)
    c = sasl_start(server, nick="q")
    times = {"wrong": [], "unknown": []}
    texts = {}
    for i in range(6):
        for kind, who in (("wrong", "quinn"), ("unknown", "nobody%d" % i)):
            c.send("AUTHENTICATE PLAIN")
            c.expect("AUTHENTICATE", p0="+")
            t0 = time.monotonic()
            c.send("AUTHENTICATE " + sasl_plain(who, "not the password"))
            m = c.expect("904")
            times[kind].append(time.monotonic() - t0)
            texts[kind] = m.params[1:]
    assert texts["wrong"] == texts["unknown"]
    a = statistics.median(times["wrong"])
    b = statistics.median(times["unknown"])
    # Both cost a hash: the medians are within a few ms of each other.
    assert abs(a - b) < max(0.02, 0.5 * max(a, b)), times


def test_sasl_authzid_same_as_authcid(server):
    server.register_account("rose", PW)
    c = sasl_start(server, nick="rose")
    assert sasl_try(c, sasl_plain("rose", PW, authzid="ROSE")).command == \
        "903"


def test_sasl_authzid_other_account(server):
    server.register_account("sam", PW)
    server.register_account("tina", PW)
    c = sasl_start(server, nick="sam")
    assert sasl_try(c, sasl_plain("sam", PW, authzid="tina")).command == \
        "904"
    finish(c)
    assert whois_account(c, "sam") is None


def test_sasl_bad_base64(server):
    server.register_account("uma", PW)
    c = sasl_start(server, nick="uma")
    assert sasl_try(c, "!!!not*base64").command == "904"
    assert sasl_try(c, sasl_plain("uma", PW)).command == "903"


@pytest.mark.parametrize("raw", [b"", b"\0", b"\0\0", b"\0\0\0",
                                 b"uma\0uma", b"\0uma\0", b"\0\0pw"])
def test_sasl_malformed_payloads(server, raw):
    server.register_account("uma", PW)
    c = sasl_start(server, nick="uma")
    payload = "+" if raw == b"" else b64(raw)
    assert sasl_try(c, payload).command == "904"
    finish(c)
    assert whois_account(c, "uma") is None


def test_sasl_400_byte_chunk_then_plus(server):
    # A response whose base64 is exactly 400 bytes (300 raw bytes) must
    # be followed by "AUTHENTICATE +".
    name = "v" * 30
    pw = "v" * (300 - 2 - 2 * len(name))
    server.register_account(name, pw)
    payload = sasl_plain(name, pw, authzid=name)
    assert len(payload) == 400
    c = sasl_start(server, nick=name)
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE " + payload)
    c.assert_silent(0.3)    # more may come: nothing is decided yet
    c.send("AUTHENTICATE +")
    c.expect("903")


def test_sasl_two_chunks(server):
    name = "w" * 30
    pw = "w" * 250
    server.register_account(name, pw)
    payload = sasl_plain(name, pw, authzid=name)
    assert 400 < len(payload) < 800
    c = sasl_start(server, nick=name)
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE " + payload[:400])
    c.send("AUTHENTICATE " + payload[400:])
    c.expect("903")


def test_sasl_chunk_too_long(server):
    c = sasl_start(server)
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE " + "A" * 401)
    c.expect("905")


def test_sasl_response_over_the_limit(server):
    c = sasl_start(server)
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    got = None
    for _ in range(25):
        c.send("AUTHENTICATE " + "A" * 400)
    got = c.expect(pred=lambda m: m.command in ("904", "905"))
    assert got.command == "905"
    # It is over: a new exchange starts cleanly.
    c.send("AUTHENTICATE *")
    c.expect(pred=lambda m: m.command in ("906", "904"))


def test_sasl_abort(server):
    c = sasl_start(server)
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE *")
    c.expect("906")
    finish(c)


def test_sasl_without_cap(server):
    server.register_account("xena", PW)
    c = Client(server.port)
    server.clients.append(c)
    c.send("CAP LS 302")
    c.send("NICK xena")
    c.send("USER u 0 * :R")
    c.send("AUTHENTICATE PLAIN")
    c.expect("904")
    assert not any(m.command == "AUTHENTICATE" for m in c.drain(0.2))
    c.send("CAP END")
    c.expect("001")
    c.drain(0.1)
    assert whois_account(c, "xena") is None


def test_sasl_twice(server):
    server.register_account("yara", PW)
    c = sasl_start(server, nick="yara")
    assert sasl_try(c, sasl_plain("yara", PW)).command == "903"
    c.send("AUTHENTICATE PLAIN")
    c.expect("907")
    finish(c)
    c.send("AUTHENTICATE PLAIN")
    c.expect("907")


def test_sasl_burst_logs_in_before_welcome(server):
    server.register_account("zoe", PW)
    c = Client(server.port)
    server.clients.append(c)
    c.send_raw(("CAP LS 302\r\nCAP REQ :sasl\r\nNICK zoe\r\nUSER u 0 * :Z\r\n"
                "AUTHENTICATE PLAIN\r\nAUTHENTICATE %s\r\nCAP END\r\n"
                % sasl_plain("zoe", PW)).encode())
    c.expect("001")
    order = [m.command for m in c.lines]
    assert "903" in order and order.index("903") < order.index("001")
    assert order.index("900") < order.index("001")


def test_sasl_unknown_mechanism(server):
    c = sasl_start(server)
    c.send("AUTHENTICATE SCRAM-SHA-256")
    m = c.expect("908")
    assert "PLAIN" in m.params[1].split(",")
    assert "EXTERNAL" not in m.params[1].split(",")   # plain TCP
    c.expect("904")
    finish(c)


# -- SASL EXTERNAL

def make_cert(tmp_path, name):
    key = tmp_path / (name + ".key")
    crt = tmp_path / (name + ".crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name, "-keyout", str(key), "-out",
                    str(crt)], check=True, capture_output=True)
    der = ssl.PEM_cert_to_DER_cert(crt.read_text())
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(str(crt), str(key))
    return ctx, hashlib.sha256(der).hexdigest()


def test_sasl_external(server, tmp_path):
    ctx, fp = make_cert(tmp_path, "abby")
    server.register_account("abby", PW)
    c = server.sasl_client("abby", "abby", PW)
    c.send("NS CERT ADD " + fp)
    ns_wait(c, "added")
    c.send("NS CERT LIST")
    ns_wait(c, fp)
    t = sasl_start(server, tls=True, ssl_context=ctx, nick="abby2")
    assert sasl_try(t, "+", mech="EXTERNAL").command == "903"
    finish(t)
    assert whois_account(t, "abby") == "abby"


def test_sasl_external_cert_added_from_the_connection(server, tmp_path):
    ctx, fp = make_cert(tmp_path, "bea")
    server.register_account("bea", PW)
    # Connected with the certificate: CERT ADD takes its fingerprint.
    c = server.sasl_client("bea", "bea", PW, tls=True, ssl_context=ctx)
    c.send("NS CERT ADD")
    ns_wait(c, fp)
    t = sasl_start(server, tls=True, ssl_context=ctx, nick="bea2")
    lin = None
    assert sasl_try(t, b64(b"bea"), mech="EXTERNAL").command == "903"
    lin = [m for m in t.lines if m.command == "900"]
    assert lin and lin[0].params[2] == "bea"


def test_sasl_external_over_plain_tcp(server):
    c = sasl_start(server)
    c.send("AUTHENTICATE EXTERNAL")
    m = c.expect(pred=lambda m: m.command in ("908", "904", "AUTHENTICATE"))
    assert m.command != "AUTHENTICATE"
    c.expect("904")


def test_sasl_external_unknown_certificate(server, tmp_path):
    ctx, _ = make_cert(tmp_path, "carl")
    server.register_account("carl", PW)
    t = sasl_start(server, tls=True, ssl_context=ctx, nick="carl")
    assert sasl_try(t, "+", mech="EXTERNAL").command == "904"
    # Naming the account does not help either.
    assert sasl_try(t, b64(b"carl"), mech="EXTERNAL").command == "904"
    finish(t)
    assert whois_account(t, "carl") is None


def test_sasl_external_without_certificate(server):
    server.register_account("dina", PW)
    t = sasl_start(server, tls=True, nick="dina")
    assert sasl_try(t, "+", mech="EXTERNAL").command == "904"


# -- login throttling

def test_login_throttle(make_server):
    """Ten wrong passwords for one account (per 60 s window) block it, and
    twenty failures block the address.  The window is a minute, too long
    for a test, so this checks that past the limit even the right
    password fails, at once and in the same words."""
    s = make_server(["--flood-burst", "0"])
    s.register_account("eve", PW)
    s.register_account("fay", PW)
    s.register_account("gus", PW)
    c = sasl_start(s, nick="x")
    for _ in range(12):
        assert sasl_try(c, sasl_plain("eve", "wrong!")).command == "904"
    t0 = time.monotonic()
    assert sasl_try(c, sasl_plain("eve", PW)).command == "904"
    assert time.monotonic() - t0 < 1
    # NickServ obeys the same counters.
    n = s.client("n")
    n.send("NS IDENTIFY eve " + PW)
    ns_wait(n, "Too many failed logins")
    # Another account from the same address: 10 failures so far.
    assert sasl_try(c, sasl_plain("fay", PW)).command == "903"
    d = sasl_start(s, nick="y")
    for _ in range(9):
        assert sasl_try(d, sasl_plain("gus", "wrong!")).command == "904"
    # 19 failures from this address; one more reaches the limit of 20.
    assert sasl_try(d, sasl_plain("nobody", "wrong!")).command == "904"
    assert sasl_try(d, sasl_plain("gus", PW)).command == "904"


# -- NickServ

def test_nickserv_register_and_identify(server):
    c = server.client("hugo")
    c.send("PRIVMSG NickServ :REGISTER " + PW)
    c.expect("900")
    ns_wait(c, "registered")
    c.send("QUIT")
    c.wait_closed()
    c = server.client("hugo")
    c.send("PRIVMSG NickServ :IDENTIFY " + PW)
    assert c.expect("900").params[2] == "hugo"
    ns_wait(c, "logged in as hugo")
    d = server.client("other")
    d.send("NS IDENTIFY hugo " + PW)
    assert d.expect("900").params[2] == "hugo"


def test_nickserv_identify_wrong(server):
    server.register_account("ida", PW)
    c = server.client("ida")
    c.send("NICKSERV IDENTIFY nope-nope")
    ns_wait(c, "Wrong account name or password")
    c.send("NS IDENTIFY nobody " + PW)
    ns_wait(c, "Wrong account name or password")


def test_nickserv_logout(server):
    server.register_account("jay", PW)
    c = server.sasl_client("jay", "jay", PW, caps=["account-notify"])
    n = server.client("neighbour", caps=["account-notify"])
    p = server.client("plain")
    for x in (c, n, p):
        x.send("JOIN #room")
        x.expect("366")
    for x in (c, n, p):
        x.drain(0.05)
    c.send("NS LOGOUT")
    c.expect("901")
    ns_wait(c, "logged out")
    m = n.expect("ACCOUNT")
    assert m.nick == "jay" and m.params == ["*"]
    assert not any(x.command == "ACCOUNT" for x in p.drain(0.2))
    assert whois_account(n, "jay") is None
    c.send("NS LOGOUT")
    ns_wait(c, "not logged in")


def test_nickserv_set_password(server):
    server.register_account("kim", PW)
    c = server.sasl_client("kim", "kim", PW)
    # The current password first: a token or an open session alone
    # cannot lock the owner out.
    c.send("NS SET PASSWORD new-password-1")
    ns_wait(c, "Usage: SET PASSWORD <current password>")
    c.send("NS SET PASSWORD not-the-password new-password-1")
    ns_wait(c, "Wrong")
    c.send("NS SET PASSWORD %s new-password-1" % PW)
    ns_wait(c, "changed")
    t = sasl_start(server, nick="k2")
    assert sasl_try(t, sasl_plain("kim", PW)).command == "904"
    assert sasl_try(t, sasl_plain("kim", "new-password-1")).command == "903"
    c.send("NS SET PASSWORD new-password-1 short")
    ns_wait(c, "Use a password")


def test_nickserv_info(server):
    server.register_account("lea", PW)
    c = server.client("x")
    c.send("NS INFO lea")
    m = ns_wait(c, "Account lea")
    assert "registered " + time.strftime("%Y-%m-%d", time.gmtime()) in \
        m.params[-1]
    assert "online" not in m.params[-1]
    d = server.sasl_client("lea", "lea", PW)
    c.send("NS INFO LEA")
    assert "online as lea" in ns_wait(c, "Account lea").params[-1]
    c.send("NS INFO nobody")
    ns_wait(c, "No such account")
    d.close()


def test_nickserv_cert(server):
    server.register_account("max", PW)
    c = server.sasl_client("max", "max", PW)
    fp = "ab" * 32
    c.send("NS CERT ADD " + fp)
    ns_wait(c, "added")
    c.send("NS CERT LIST")
    ns_wait(c, fp)
    ns_wait(c, "1 certificate")
    c.send("NS CERT ADD " + "zz" * 32)
    ns_wait(c, "64 hex digits")
    c.send("NS CERT DEL " + "cd" * 32)
    ns_wait(c, "Not one of yours")
    c.send("NS CERT DEL " + fp)
    ns_wait(c, "removed")
    c.send("NS CERT LIST")
    ns_wait(c, "0 certificate")
    # Someone else's certificate cannot be claimed.
    c.send("NS CERT ADD " + fp)
    ns_wait(c, "added")
    server.register_account("ned", PW)
    d = server.sasl_client("ned", "ned", PW)
    d.send("NS CERT ADD " + fp)
    ns_wait(d, "belongs to an account already")
    e = server.client("anon")
    e.send("NS CERT LIST")
    ns_wait(e, "Log in first")


def test_nickserv_drop(server):
    server.register_account("otto", PW)
    c = server.sasl_client("otto", "otto", PW)
    c.send("NS DROP wrong-password")
    ns_wait(c, "Wrong")
    assert whois_account(c, "otto") == "otto"
    c.send("NS DROP " + PW)
    c.expect("901")
    ns_wait(c, "gone")
    assert whois_account(c, "otto") is None
    t = sasl_start(server, nick="o2")
    assert sasl_try(t, sasl_plain("otto", PW)).command == "904"
    # The name is free again.
    c.send("REGISTER otto * " + PW)
    assert c.expect("REGISTER").params[0] == "SUCCESS"


def test_nickserv_help_and_unknown(server):
    c = server.client("pia")
    c.send("NS HELP")
    texts = ns_notices(c)
    joined = "\n".join(texts)
    for word in ("REGISTER", "IDENTIFY", "LOGOUT", "SET PASSWORD", "INFO",
                 "CERT", "DROP"):
        assert word in joined
    c.send("NS")
    assert ns_notices(c) == texts
    c.send("NS FROBNICATE x")
    ns_wait(c, "Unknown command FROBNICATE")


def test_nickserv_forms(server):
    server.register_account("quin", PW)
    for form in ("PRIVMSG NickServ :IDENTIFY quin %s",
                 "PRIVMSG nickserv :IDENTIFY quin %s",
                 "NS IDENTIFY quin %s", "NICKSERV IDENTIFY quin %s",
                 "ns identify quin %s"):
        c = server.client("u%d" % abs(hash(form) % 1000))
        c.send(form % PW)
        assert c.expect("900").params[2] == "quin", form
        c.close()


def test_nickserv_nick_is_reserved(server):
    c = server.client("ralf")
    for n in ("NickServ", "nickserv", "NICKSERV"):
        c.send("NICK " + n)
        m = c.expect(pred=lambda m: m.command in ("432", "433", "NICK"))
        assert m.command in ("432", "433"), m
    c = Client(server.port)
    server.clients.append(c)
    c.send("NICK NickServ")
    c.send("USER u 0 * :R")
    c.expect(pred=lambda m: m.command in ("432", "433"))


def test_nickserv_messages_are_not_relayed(server):
    server.register_account("sue", PW)
    c = server.client("sue")
    c.send("PRIVMSG NickServ :IDENTIFY " + PW)
    c.expect("900")
    c.send("PRIVMSG NickServ :INFO")
    ns_wait(c, "Account sue")


# -- nick ownership

def test_nick_enforcement_renames(make_server):
    s = make_server(["--enforce-delay", "2"])
    s.register_account("tom", PW)
    w = s.client("watcher")
    c = s.client("tom")
    m = ns_seen(c, "belongs to an account")
    assert "2 seconds" in m.params[-1]
    c.send("JOIN #x")
    c.expect("366")
    w.send("JOIN #x")
    w.expect("366")
    t0 = time.monotonic()
    nick = c.expect("NICK", timeout=5)
    assert 1.5 < time.monotonic() - t0 + 0.1 < 4
    assert nick.nick == "tom" and nick.params[0].startswith("Guest")
    assert w.expect("NICK").params[0] == nick.params[0]
    ns_wait(c, "you are now " + nick.params[0])


def test_nick_enforcement_stops_on_login(make_server):
    s = make_server(["--enforce-delay", "2"])
    s.register_account("ulla", PW)
    c = s.client("ulla")
    ns_seen(c, "belongs to an account")
    c.send("NS IDENTIFY " + PW)
    c.expect("900")
    got = c.drain(3)
    assert not any(m.command == "NICK" for m in got), got


def test_nick_enforcement_stops_on_nick_change(make_server):
    s = make_server(["--enforce-delay", "2"])
    s.register_account("vic", PW)
    c = s.client("vic")
    ns_seen(c, "belongs to an account")
    c.send("NICK victor")
    c.expect("NICK")
    got = c.drain(3)
    assert not any(m.command == "NICK" for m in got), got


def test_owner_takes_nick_back(make_server):
    s = make_server(["--enforce-delay", "60"])
    s.register_account("walt", PW)
    sq = s.client("walt")
    ns_seen(sq, "belongs to an account")
    o = s.client("owner")
    o.send("NS IDENTIFY walt " + PW)
    o.expect("900")
    m = sq.expect("NICK", timeout=1)
    assert m.params[0].startswith("Guest")
    o.send("NICK walt")
    assert o.expect("NICK").params[0] == "walt"


def test_owner_sasl_takes_nick_back(make_server):
    s = make_server(["--enforce-delay", "60"])
    s.register_account("xavi", PW)
    sq = s.client("xavi")
    ns_seen(sq, "belongs to an account")
    # The owner connects with SASL; the squatter loses the nick at once
    # and the owner registers with it.
    o = s.sasl_client("xavi", "xavi", PW)
    assert sq.expect("NICK", timeout=1).params[0].startswith("Guest")
    assert o.lines[[m.command for m in o.lines].index("001")].params[0] \
        == "xavi"


# -- account-tag, account-notify, extended-join

def test_account_caps_after_login(server):
    server.register_account("yves", PW)
    obs = server.client("obs", caps=["account-tag", "account-notify",
                                     "extended-join"])
    obs.send("JOIN #acc")
    obs.expect("366")
    obs.drain(0.05)
    c = server.client("yves")
    c.send("JOIN #acc")
    c.expect("366")
    j = obs.expect("JOIN")
    assert j.params == ["#acc", "*", "Real Name"]
    c.send("PRIVMSG #acc :before")
    assert "account" not in obs.expect("PRIVMSG").tags
    c.send("NS IDENTIFY " + PW)
    c.expect("900")
    m = obs.expect("ACCOUNT")
    assert m.nick == "yves" and m.params == ["yves"]
    c.send("PRIVMSG #acc :after")
    assert obs.expect("PRIVMSG").tags.get("account") == "yves"
    c.send("PART #acc")
    obs.expect("PART")
    c.send("JOIN #acc")
    assert obs.expect("JOIN").params == ["#acc", "yves", "Real Name"]


def test_account_notify_to_self(server):
    server.register_account("zed", PW)
    c = server.client("zed", caps=["account-notify"])
    c.send("NS IDENTIFY " + PW)
    c.expect("900")
    assert c.expect("ACCOUNT").params == ["zed"]


# -- one account, several devices

def two_devices(server, caps=()):
    server.register_account("amy", PW)
    a1 = server.sasl_client("amy", "amy", PW, caps=caps)
    return a1


def test_multi_device_shares_identity(server):
    a1 = two_devices(server)
    a1.send("JOIN #dev")
    a1.expect("366")
    a1.send("TOPIC #dev :the topic")
    a1.expect("TOPIC")
    b = server.client("bob")
    b.send("JOIN #dev")
    b.expect("366")
    b.drain(0.05)
    a1.drain(0.1)
    # The second device: same nick, gets JOIN, topic and NAMES.
    a2 = server.sasl_client("amy", "amy", PW)
    a2.drain(0.2)
    cmds = [m.command for m in a2.lines]
    assert [m for m in a2.lines if m.command == "001"][0].params[0] == "amy"
    assert "433" not in cmds
    i = cmds.index("JOIN")
    assert a2.lines[i].params[0] == "#dev" and a2.lines[i].nick == "amy"
    assert cmds[i + 1:i + 5] == ["332", "333", "353", "366"], cmds
    assert a2.lines[i + 1].params[2] == "the topic"
    names = a2.lines[i + 3].params[-1].split()
    assert sorted(n.lstrip("@+") for n in names) == ["amy", "bob"]
    # Others see nothing of it.
    b.assert_silent(0.2)
    b.send("NAMES #dev")
    names = b.expect("353").params[-1].split()
    assert sorted(n.lstrip("@+") for n in names) == ["amy", "bob"]


def test_multi_device_messages(server):
    a1 = two_devices(server)
    a2 = server.sasl_client("amy", "amy", PW)
    b = server.client("bob")
    for x in (a1, b):
        x.send("JOIN #dev")
        x.expect("366")
    a2.expect("JOIN")
    for x in (a1, a2, b):
        x.drain(0.1)
    a1.send("PRIVMSG #dev :from device one")
    assert a2.expect("PRIVMSG").params == ["#dev", "from device one"]
    assert b.expect("PRIVMSG").params == ["#dev", "from device one"]
    assert not any(m.command == "PRIVMSG" for m in a1.drain(0.2))
    b.send("PRIVMSG #dev :to all of amy")
    assert a1.expect("PRIVMSG").params[1] == "to all of amy"
    assert a2.expect("PRIVMSG").params[1] == "to all of amy"
    # DMs: both devices see what amy sends and what she gets.
    a2.send("PRIVMSG bob :hi bob")
    assert b.expect("PRIVMSG").params == ["bob", "hi bob"]
    m = a1.expect("PRIVMSG")
    assert m.nick == "amy" and m.params == ["bob", "hi bob"]
    b.send("PRIVMSG amy :hi amy")
    assert a1.expect("PRIVMSG").params == ["amy", "hi amy"]
    assert a2.expect("PRIVMSG").params == ["amy", "hi amy"]


def test_multi_device_quit(server):
    a1 = two_devices(server)
    a2 = server.sasl_client("amy", "amy", PW)
    b = server.client("bob")
    for x in (a1, b):
        x.send("JOIN #dev")
        x.expect("366")
    for x in (a1, a2, b):
        x.drain(0.1)
    a2.send("QUIT :one device")
    a2.wait_closed()
    assert not any(m.command == "QUIT" for m in b.drain(0.3))
    a1.send("PRIVMSG #dev :still here")
    b.expect("PRIVMSG")
    a1.send("QUIT :last one")
    m = b.expect("QUIT")
    assert m.nick == "amy"


def test_multi_device_other_nick(server):
    # A device that asks for another nick still joins the user "amy".
    a1 = two_devices(server)
    a2 = server.sasl_client("amy-phone", "amy", PW)
    assert [m for m in a2.lines if m.command == "001"][0].params[0] == "amy"
    a2.send("PRIVMSG amy :note to self")
    assert a1.expect("PRIVMSG").params == ["amy", "note to self"]


def test_multi_device_nick_before_sasl_not_logged_in(server):
    # Without logging in to amy's account, amy's nick stays taken.
    two_devices(server)
    server.register_account("other", PW)
    c = Client(server.port)
    server.clients.append(c)
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl")
    c.send("NICK amy")
    c.send("USER u 0 * :R")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    c.send("AUTHENTICATE " + sasl_plain("other", PW))
    c.expect("903")
    c.send("CAP END")
    c.expect("433")
    c.send("NICK amy_")
    assert c.expect("001").params[0] == "amy_"


def test_multi_device_nick_change(server):
    a1 = two_devices(server)
    a2 = server.sasl_client("amy", "amy", PW)
    a1.send("NICK amelia")
    assert a1.expect("NICK").params[0] == "amelia"
    assert a2.expect("NICK").params[0] == "amelia"


def test_sasl_aborted_by_cap_end(server):
    # Registration completing mid-exchange aborts it (906), and the
    # client registers without an account.
    server.register_account("hal", PW)
    c = sasl_start(server, nick="hal")
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("CAP END")
    c.expect("906")
    c.expect("001")
    c.send("AUTHENTICATE " + sasl_plain("hal", PW))
    m = c.expect(pred=lambda m: m.command in ("900", "903", "904", "908"))
    assert m.command in ("904", "908")
    assert whois_account(c, "hal") is None


def test_sasl_after_registration(server):
    server.register_account("ike", PW)
    c = server.client("ike", caps=["sasl", "account-notify"])
    assert sasl_try(c, sasl_plain("ike", PW)).command == "903"
    assert c.expect("ACCOUNT").params == ["ike"]
    assert whois_account(c, "ike") == "ike"


def test_register_per_address_limit(server):
    for i in range(5):
        server.register_account("user%d" % i, PW)
    c = server.client("sixth")
    c.send("REGISTER * * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "TEMPORARILY_UNAVAILABLE", "sixth"]


def test_logout_starts_enforcement(make_server):
    s = make_server(["--enforce-delay", "2"])
    s.register_account("jon", PW)
    c = s.sasl_client("jon", "jon", PW)
    c.send("NS LOGOUT")
    c.expect("901")
    ns_wait(c, "belongs to an account")
    assert c.expect("NICK", timeout=4).params[0].startswith("Guest")


def test_drop_ends_enforcement(make_server):
    s = make_server(["--enforce-delay", "2"])
    s.register_account("kai", PW)
    c = s.sasl_client("kai", "kai", PW)
    c.send("NS DROP " + PW)
    ns_wait(c, "gone")
    got = c.drain(3)
    assert not any(m.command == "NICK" for m in got), got


def test_multi_device_part_and_join(server):
    a1 = two_devices(server)
    a2 = server.sasl_client("amy", "amy", PW)
    a1.send("JOIN #one")
    a1.expect("366")
    a1.drain(0.05)
    a2.expect("JOIN", p0="#one")
    a2.expect("366")
    a2.send("PART #one")
    assert a1.expect("PART").params[0] == "#one"
    a2.expect("PART")
    a1.send("NAMES #one")
    assert a1.expect(pred=lambda m: m.command in ("353", "366")).command \
        == "366"


def test_drop_ends_enforcement_of_squatter(make_server):
    s = make_server(["--enforce-delay", "2"])
    s.register_account("lou", PW)
    o = s.client("owner")
    o.send("NS IDENTIFY lou " + PW)
    o.expect("900")
    sq = s.client("lou")
    ns_seen(sq, "belongs to an account")
    o.send("NS DROP " + PW)
    ns_wait(o, "gone")
    got = sq.drain(3)
    assert not any(m.command == "NICK" for m in got), got


def test_register_someone_elses_nick(server):
    # Registering the nick another user holds now would take it from
    # them at once: refused.
    v = server.client("victim")
    c = server.client("mallory")
    c.send("REGISTER victim * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "BAD_ACCOUNT_NAME", "victim"]
    assert not any(x.command == "NICK" for x in v.drain(0.3))
    c.send("REGISTER VICTIM * " + PW)
    assert c.expect("FAIL").params[1] == "BAD_ACCOUNT_NAME"


def test_unicode_account_names(server):
    c = server.client("Иван")
    c.send("REGISTER * * " + PW)
    assert c.expect("REGISTER").params[:2] == ["SUCCESS", "Иван"]
    c.send("QUIT")
    c.wait_closed()
    t = sasl_start(server, nick="ИВАН")
    assert sasl_try(t, sasl_plain("иван", PW)).command == "903"
    assert [m for m in t.lines if m.command == "900"][0].params[2] == "Иван"


def test_sasl_account_name_in_any_case(server):
    server.register_account("Olivia", PW)
    c = sasl_start(server, nick="liv")
    assert sasl_try(c, sasl_plain("OLIVIA", PW)).command == "903"
    assert [m for m in c.lines if m.command == "900"][0].params[2] == \
        "Olivia"


def test_disconnect_while_waiting(server):
    """Clients that leave while their password is being checked, their
    account stored, or their certificate added: nothing breaks."""
    server.register_account("pat", PW)
    for i in range(5):
        c = Client(server.port)
        c.send_raw(("CAP LS 302\r\nCAP REQ :sasl\r\nNICK w%d\r\nUSER u 0 * :R"
                    "\r\nAUTHENTICATE PLAIN\r\nAUTHENTICATE %s\r\n" %
                    (i, sasl_plain("pat", PW))).encode())
        c.reset()
        c = Client(server.port)
        c.send_raw(("NICK r%d\r\nUSER u 0 * :R\r\nREGISTER * * %s\r\n" %
                    (i, PW)).encode())
        c.close()
    d = server.sasl_client("pat", "pat", PW)
    d.send_raw(("NS SET PASSWORD %s %s\r\nNS CERT ADD %s\r\n" %
                (PW, PW + "2", "ef" * 32)).encode())
    d.reset()
    time.sleep(0.3)
    c = server.client("after")
    c.send("NS INFO pat")
    ns_wait(c, "Account pat")
    assert server.alive()


def test_register_custom_name_needs_nick(server):
    server.register_account("taken", PW)
    c = reg_start(server)
    c.send("REGISTER taken * " + PW)
    m = c.expect("FAIL")
    assert m.params[:3] == ["REGISTER", "NEED_NICK", "*"]

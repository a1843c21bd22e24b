"""Queries and presence over the wire: WHO/WHOX, WHOIS, WHOWAS, LUSERS,
VERSION, TIME, ADMIN, INFO, HELP, AWAY (away-notify), SETNAME, MONITOR
(extended-monitor), USERHOST and ISON.

Tests that need a user or channel mode (+i, +s, +B, +v) set it with MODE
and are skipped while MODE answers 421 (it lives in irc_mode.c).
"""
import hashlib
import os
import socket
import ssl
import subprocess
import time

import pytest

from conftest import TIMEOUT, Client

SERVER = "test.lanchat"
HOST = "127.0.0.1"


def sync(c, token="sync"):
    """Round-trip a PING so that everything before it has arrived; return
    the lines that came before the PONG."""
    c.send("PING :" + token)
    c.expect("PONG", pred=lambda m: m.params[-1] == token)
    seen, c.pending = c.pending, []
    return seen


def set_mode(c, target, modes, *args):
    """MODE, or skip the test while MODE is not implemented."""
    c.drain(0.05)
    c.send(" ".join(["MODE", target, modes] + list(args)))
    for m in sync(c, "mode"):
        if m.command == "421":
            pytest.skip("MODE is not implemented yet")
        assert m.command not in ("472", "481", "482", "501", "502", "696"), m


def replies(c, end, **kw):
    """Every line up to and including the first `end` numeric."""
    out = []
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        m = c.recv()
        assert m is not None, "no %s; got %r" % (end, out)
        out.append(m)
        if m.command == end and all(
                len(m.params) > int(k[1:]) and m.params[int(k[1:])] == v
                for k, v in kw.items()):
            return out
    raise AssertionError("no %s; got %r" % (end, out))


def numerics(lines, num):
    return [m for m in lines if m.command == num]


# ---- WHO ---------------------------------------------------------------

def test_who_channel_lists_members(client):
    a = client("alice")
    b = client("bob")
    a.send("JOIN #c")
    a.expect("366")
    b.send("JOIN #c")
    b.expect("366")
    b.send("WHO #c")
    got = replies(b, "315")
    rows = {m.params[5]: m for m in numerics(got, "352")}
    assert set(rows) == {"alice", "bob"}
    assert rows["alice"].params == ["bob", "#c", "u", HOST, SERVER, "alice",
                                    "H@", "0 Real Name"]
    assert rows["bob"].params[6] == "H"
    assert got[-1].params == ["bob", "#c", "End of WHO list"]


def test_who_flags_away_and_multi_prefix(client):
    a = client("alice", caps=["multi-prefix"])
    b = client("bob")
    a.send("JOIN #c")
    a.expect("366")
    b.send("JOIN #c")
    b.expect("366")
    b.send("AWAY :lunch")
    b.expect("306")
    a.send("WHO #c")
    rows = {m.params[5]: m for m in numerics(replies(a, "315"), "352")}
    assert rows["bob"].params[6] == "G"
    set_mode(a, "#c", "+v", "alice")
    a.send("WHO #c")
    rows = {m.params[5]: m for m in numerics(replies(a, "315"), "352")}
    assert rows["alice"].params[6] == "H@+"
    b.send("WHO #c")
    rows = {m.params[5]: m for m in numerics(replies(b, "315"), "352")}
    assert rows["alice"].params[6] == "H@"    # no multi-prefix: highest


def test_who_masks(client):
    a = client("alice")
    client("bob", realname="Bob the Builder")
    a.send("WHO al*")
    got = numerics(replies(a, "315"), "352")
    assert [m.params[5] for m in got] == ["alice"]
    assert got[0].params[1] == "*"
    a.send("WHO *BUILDER*")              # real name, folded
    assert [m.params[5] for m in numerics(replies(a, "315"), "352")] == ["bob"]
    a.send("WHO bob!u@127.*")            # the whole mask
    assert [m.params[5] for m in numerics(replies(a, "315"), "352")] == ["bob"]
    a.send("WHO 127.0.0.1")              # the host
    assert {m.params[5] for m in numerics(replies(a, "315"), "352")} == \
        {"alice", "bob"}
    a.send("WHO *")
    assert {m.params[5] for m in numerics(replies(a, "315"), "352")} == \
        {"alice", "bob"}
    a.send("WHO nobody*")
    got = replies(a, "315")
    assert len(got) == 1 and got[0].params[1] == "nobody*"
    a.send("WHO")
    assert replies(a, "315")[-1].params[1] == "*"


def test_who_exact_nick_and_unicode_fold(client):
    a = client("alice")
    client("Иван")
    a.send("WHO bob")
    assert len(replies(a, "315", p1="bob")) == 1
    a.send("WHO иВАН")
    got = numerics(replies(a, "315"), "352")
    assert [m.params[5] for m in got] == ["Иван"]
    a.send("WHO ив*")
    got = numerics(replies(a, "315"), "352")
    assert [m.params[5] for m in got] == ["Иван"]


def test_who_oper_flag_filters(client):
    a = client("alice")
    client("bob")
    a.send("WHO * o")
    assert numerics(replies(a, "315"), "352") == []
    a.send("WHO alice o%n")
    assert numerics(replies(a, "315"), "354") == []


def test_whox_all_fields_in_order(client):
    a = client("alice")
    b = client("bob")
    b.send("JOIN #c")
    b.expect("366")
    a.send("WHO bob %rnaotdcflhsiu,42")
    got = replies(a, "315")
    rows = numerics(got, "354")
    assert not numerics(got, "352")
    assert len(rows) == 1
    p = rows[0].params
    assert p[:10] == ["alice", "42", "*", "u", HOST, HOST, SERVER, "bob",
                      "H", "0"]
    assert p[10].isdigit() and int(p[10]) < 60        # idle
    assert p[11:] == ["0", "n/a", "Real Name"]         # account, oplevel, r
    assert got[-1].params[1] == "bob"


def test_whox_channel_subset_and_token(client):
    a = client("alice")
    a.send("JOIN #c")
    a.expect("366")
    a.send("WHO #c %cnf")
    rows = numerics(replies(a, "315"), "354")
    assert [m.params for m in rows] == [["alice", "#c", "alice", "H@"]]
    a.send("WHO #c %nt,7")                    # the order is the server's
    rows = numerics(replies(a, "315"), "354")
    assert [m.params for m in rows] == [["alice", "7", "alice"]]
    a.send("WHO #c %tn,12345")                # not a valid token
    rows = numerics(replies(a, "315"), "354")
    assert [m.params for m in rows] == [["alice", "0", "alice"]]
    a.send("WHO #c %tn,:x")
    rows = numerics(replies(a, "315"), "354")
    assert [m.params for m in rows] == [["alice", "0", "alice"]]
    a.send("WHO #c %")                        # no fields at all
    rows = numerics(replies(a, "315"), "354")
    assert [m.params for m in rows] == [["alice"]]


def test_who_invisible_users_do_not_leak(client):
    a = client("alice")
    b = client("bob")
    c = client("carol")
    set_mode(b, "bob", "+i")
    b.send("JOIN #x")
    b.expect("366")
    for mask in ("*", "b*", "127.0.0.1", "*Real*"):
        a.send("WHO " + mask)
        names = [m.params[5] for m in numerics(replies(a, "315"), "352")]
        assert "bob" not in names, mask
    a.send("WHO #x")                          # not a member
    assert numerics(replies(a, "315"), "352") == []
    b.send("WHO b*")                          # oneself: always
    assert [m.params[5] for m in numerics(replies(b, "315"), "352")] == \
        ["bob"]
    a.send("JOIN #x")
    a.expect("366")
    a.send("WHO b*")                          # a shared channel: visible
    assert [m.params[5] for m in numerics(replies(a, "315"), "352")] == \
        ["bob"]
    a.send("WHO #x")
    assert {m.params[5] for m in numerics(replies(a, "315"), "352")} == \
        {"alice", "bob"}
    c.send("WHO #x")                          # carol is still outside
    assert [m.params[5] for m in numerics(replies(c, "315"), "352")] == \
        ["alice"]


def test_who_secret_channel_only_for_members(client):
    a = client("alice")
    b = client("bob")
    a.send("JOIN #s")
    a.expect("366")
    set_mode(a, "#s", "+s")
    b.send("WHO #s")
    assert numerics(replies(b, "315"), "352") == []
    a.send("WHO #s")
    assert [m.params[5] for m in numerics(replies(a, "315"), "352")] == \
        ["alice"]


def test_who_bot_flag(client):
    a = client("alice")
    r = client("robot")
    set_mode(r, "robot", "+B")
    a.send("WHO robot")
    rows = numerics(replies(a, "315"), "352")
    assert rows[0].params[6] == "HB"
    a.send("WHOIS robot")
    got = replies(a, "318")
    assert numerics(got, "335")[0].params[:2] == ["alice", "robot"]


def test_who_labeled_response_is_one_batch(client):
    a = client("alice", caps=["labeled-response", "batch"])
    client("bob")
    a.send("@label=w1 WHO *")
    start = a.expect("BATCH")
    assert start.tags.get("label") == "w1"
    ref = start.params[0][1:]
    got = replies(a, "BATCH")
    assert got[-1].params[0] == "-" + ref
    assert all(m.tags.get("batch") == ref for m in got[:-1])
    assert [m.command for m in got[:-1]] == ["352", "352", "315"]


# ---- WHOIS -------------------------------------------------------------

def test_whois_basic(client):
    a = client("alice")
    b = client("bob", realname="Bob B")
    b.send("JOIN #c")
    b.expect("366")
    a.send("WHOIS bob")
    got = replies(a, "318")
    cmds = [m.command for m in got]
    assert cmds[0] == "311" and cmds[-1] == "318"
    assert got[0].params == ["alice", "bob", "u", HOST, "*", "Bob B"]
    assert numerics(got, "319")[0].params == ["alice", "bob", "@#c"]
    assert numerics(got, "312")[0].params[:3] == ["alice", "bob", SERVER]
    idle = numerics(got, "317")[0].params
    assert idle[1] == "bob" and int(idle[2]) < 60
    assert abs(int(idle[3]) - time.time()) < 60
    for absent in ("301", "313", "330", "671", "276", "338", "335"):
        assert absent not in cmds, absent
    assert got[-1].params == ["alice", "bob", "End of /WHOIS list"]


def test_whois_self_sees_actual_host(client):
    a = client("alice")
    a.send("WHOIS ALICE")
    got = replies(a, "318")
    assert numerics(got, "338")[0].params[:3] == ["alice", "alice", HOST]
    assert got[-1].params[1] == "ALICE"          # as given


def test_whois_errors_and_forms(client):
    a = client("alice")
    client("bob")
    a.send("WHOIS nobody")
    got = replies(a, "318")
    assert [m.command for m in got] == ["401", "318"]
    assert got[0].params[1] == "nobody"
    a.send("WHOIS %s bob" % SERVER)              # leading server ignored
    assert replies(a, "318")[0].params[1] == "bob"
    a.send("WHOIS bob bob")
    assert replies(a, "318")[0].params[1] == "bob"
    a.send("WHOIS bob,alice")                    # TARGMAX WHOIS:1
    got = replies(a, "318")
    assert [m.command for m in got] == ["407", "318"]
    a.send("WHOIS :")
    a.expect("431")
    a.send("WHOIS")
    a.expect("461")
    a.send("WHOIS :no body")
    got = replies(a, "318")
    assert [m.params[1] for m in got] == ["*", "*"]


def test_whois_away(client):
    a = client("alice")
    b = client("bob")
    b.send("AWAY :back soon")
    b.expect("306")
    a.send("WHOIS bob")
    assert numerics(replies(a, "318"), "301")[0].params == \
        ["alice", "bob", "back soon"]


def test_whois_secret_channels_hidden(client):
    a = client("alice")
    b = client("bob")
    b.send("JOIN #pub,#sec")
    b.expect("366", p1="#sec")
    set_mode(b, "#sec", "+s")
    a.send("WHOIS bob")
    chans = numerics(replies(a, "318"), "319")
    assert chans[0].params[2].split() == ["@#pub"]
    b.send("WHOIS bob")                          # oneself: everything
    chans = numerics(replies(b, "318"), "319")
    assert sorted(chans[0].params[2].split()) == ["@#pub", "@#sec"]
    a.send("JOIN #sec")
    a.expect("366")
    a.send("WHOIS bob")
    chans = numerics(replies(a, "318"), "319")
    assert sorted(chans[0].params[2].split()) == ["@#pub", "@#sec"]


def test_whois_invisible_user_channels_hidden(client):
    a = client("alice")
    b = client("bob")
    b.send("JOIN #one,#two")
    b.expect("366", p1="#two")
    set_mode(b, "bob", "+i")
    a.send("WHOIS bob")
    got = replies(a, "318")
    assert got[0].command == "311"               # WHOIS still answers
    assert numerics(got, "319") == []
    a.send("JOIN #two")
    a.expect("366")
    a.send("WHOIS bob")
    assert numerics(replies(a, "318"), "319")[0].params[2] == "@#two"


def test_whois_long_channel_list_is_split(client):
    a = client("alice")
    b = client("bob")
    names = ["#" + ("c%02d" % i) * 12 for i in range(30)]
    for i in range(0, 30, 10):
        b.send("JOIN " + ",".join(names[i:i + 10]))
        b.expect("366", p1=names[i + 9])
    a.send("WHOIS bob")
    chans = numerics(replies(a, "318"), "319")
    assert len(chans) > 1
    seen = []
    for m in chans:
        assert len(m.raw.encode()) + 2 <= 512
        seen += m.params[2].split()
    assert sorted(seen) == sorted("@" + n for n in names)


def _make_cert(tmpdir):
    cert = os.path.join(tmpdir, "c.pem")
    key = os.path.join(tmpdir, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=lanchat-test"],
                   check=True, capture_output=True)
    with open(cert) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return cert, key, hashlib.sha256(der).hexdigest()


def _tls_client_with_cert(server, cert, key):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert, key)
    raw = socket.create_connection((HOST, server.tls_port), timeout=TIMEOUT)
    c = Client.__new__(Client)
    c.timeout = TIMEOUT
    c.sock = ctx.wrap_socket(raw, server_hostname=HOST)
    c.buf = b""
    c.lines = []
    c.pending = []
    c.nick = None
    c.closed = False
    return c


def test_whois_tls_and_certfp(server, client, tmp_path):
    cert, key, fp = _make_cert(str(tmp_path))
    t = _tls_client_with_cert(server, cert, key)
    try:
        t.register("secure")
        t.send("WHOIS secure")
        got = replies(t, "318")
        assert numerics(got, "671")[0].params[1] == "secure"
        assert numerics(got, "276")[0].params[:2] == ["secure", "secure"]
        assert fp in numerics(got, "276")[0].params[2]
        a = client("alice")
        a.send("WHOIS secure")
        got = replies(a, "318")
        assert numerics(got, "671")
        assert not numerics(got, "276")            # only self and opers
        assert not numerics(got, "338")
    finally:
        t.close()


# ---- WHOWAS ------------------------------------------------------------

def test_whowas(client):
    a = client("alice")
    b = client("bob", realname="Bob Gone")
    b.send("QUIT :bye")
    b.wait_closed()
    c = client("carol")
    c.send("NICK dave")
    c.expect("NICK")
    c.send("NICK carol")
    c.expect("NICK")
    c.send("NICK erin")
    c.expect("NICK")
    a.send("WHOWAS bob")
    got = replies(a, "369")
    assert [m.command for m in got] == ["314", "312", "369"]
    assert got[0].params == ["alice", "bob", "u", HOST, "*", "Bob Gone"]
    assert got[1].params[:3] == ["alice", "bob", SERVER]
    assert got[2].params[1] == "bob"
    a.send("WHOWAS CAROL")
    assert len(numerics(replies(a, "369"), "314")) == 2
    a.send("WHOWAS carol 1")
    assert len(numerics(replies(a, "369"), "314")) == 1
    a.send("WHOWAS nobody")
    got = replies(a, "369")
    assert [m.command for m in got] == ["406", "369"]
    assert got[0].params[1] == "nobody"
    a.send("WHOWAS")
    a.expect("461")


# ---- Server information -----------------------------------------------

def test_lusers(client):
    a = client("alice")
    client("bob")
    a.send("LUSERS")
    got = replies(a, "266")
    assert [m.command for m in got] == ["251", "252", "253", "254", "255",
                                        "265", "266"]
    assert "2 users" in got[0].params[-1]


def test_version(client):
    a = client("alice")
    a.send("VERSION")
    v = a.expect("351")
    assert v.params[1].startswith("lanchat-") and v.params[2] == SERVER
    tokens = []
    for _ in range(5):
        m = a.recv(timeout=0.5)
        if m is None:
            break
        assert m.command == "005"
        tokens += m.params[1:-1]
    assert "WHOX" in tokens and "MONITOR=100" in tokens
    a.send("VERSION other.server")
    assert a.expect("402").params[1] == "other.server"
    a.send("VERSION " + SERVER)
    a.expect("351")


def test_time(client):
    a = client("alice")
    a.send("TIME")
    t = a.expect("391")
    assert t.params[1] == SERVER
    assert abs(int(t.params[2]) - time.time()) < 60
    assert t.params[3] == "0" and len(t.params[4]) > 10
    a.send("TIME alice")                      # a nick on this server
    a.expect("391")
    a.send("TIME :no such")
    assert a.expect("402").params[1] == "*"


def test_admin_and_info(client):
    a = client("alice")
    a.send("ADMIN")
    got = replies(a, "259")
    assert [m.command for m in got] == ["256", "257", "258", "259"]
    assert got[0].params[1] == SERVER
    assert SERVER in got[1].params[-1]
    a.send("ADMIN elsewhere")
    a.expect("402")
    a.send("INFO")
    got = replies(a, "374")
    assert len(got) >= 3
    assert all(m.command == "371" for m in got[:-1])
    assert any("lanchat" in m.params[-1] for m in got)


def test_help(client):
    a = client("alice")
    a.send("HELP")
    got = replies(a, "706")
    assert got[0].command == "704" and got[0].params[1] == "*"
    listed = {m.params[2].split()[0] for m in numerics(got, "705")}
    for cmd in ("WHO", "WHOIS", "MONITOR", "PRIVMSG", "JOIN", "HELP",
                "AWAY", "SETNAME", "ISON", "USERHOST", "CAP", "QUIT"):
        assert cmd in listed, cmd
    for m in numerics(got, "705"):            # each has a short line
        assert len(m.params[2].split()) > 1, m
    a.send("HELP whois")
    got = replies(a, "706")
    assert [m.command for m in got] == ["704", "705", "706"]
    assert all(m.params[1] == "WHOIS" for m in got)
    assert "WHOIS" in got[0].params[2]
    a.send("HELP nosuchthing")
    assert a.expect("524").params[1] == "NOSUCHTHING"
    a.send("HELP :two words")
    assert a.expect("524").params[1] == "*"
    a.send("HELP " + "é" * 40)
    assert a.expect("524").params[1] == "*"


def test_motd_and_unknown_server(client):
    a = client("alice")
    a.send("MOTD")
    a.expect(pred=lambda m: m.command in ("376", "422"))
    a.send("MOTD far.away")
    a.expect("402")


# ---- AWAY --------------------------------------------------------------

def test_away_notify_to_neighbours_with_cap_only(client):
    a = client("alice")
    n1 = client("withcap", caps=["away-notify"])
    n2 = client("nocap")
    far = client("faraway", caps=["away-notify"])
    for c in (a, n1, n2):
        c.send("JOIN #c")
        c.expect("366")
    n1.drain(0.1)
    n2.drain(0.1)
    a.send("AWAY :out to lunch")
    assert a.expect("306").params[0] == "alice"
    m = n1.expect("AWAY")
    assert m.source == "alice!u@" + HOST and m.params == ["out to lunch"]
    n2.assert_silent()
    far.assert_silent()
    a.send("AWAY :out to lunch")              # no change: nobody told
    a.expect("306")
    n1.assert_silent()
    n2.send("PRIVMSG alice :hi")
    assert n2.expect("301").params[1:] == ["alice", "out to lunch"]
    a.send("AWAY")
    a.expect("305")
    m = n1.expect("AWAY")
    assert m.nick == "alice" and m.params == []
    n2.assert_silent()
    a.send("AWAY")                            # not away: only 305
    a.expect("305")
    n1.assert_silent()


def test_away_message_is_truncated(client):
    a = client("alice")
    b = client("bob")
    b.send("AWAY :" + "é" * 200)              # 400 bytes
    b.expect("306")
    a.send("WHOIS bob")
    msg = numerics(replies(a, "318"), "301")[0].params[2]
    assert msg == "é" * 150                   # AWAYLEN=300 bytes


def test_away_extended_monitor(client):
    a = client("alice")
    both = client("both", caps=["extended-monitor", "away-notify"])
    emon = client("emon", caps=["extended-monitor"])
    anot = client("anot", caps=["away-notify"])
    for w in (both, emon, anot):
        w.send("MONITOR + alice")
        w.expect("730")
    a.send("AWAY :brb")
    a.expect("306")
    m = both.expect("AWAY")
    assert m.nick == "alice" and m.params == ["brb"]
    emon.assert_silent()
    anot.assert_silent()
    a.send("AWAY")
    assert both.expect("AWAY").params == []


# ---- SETNAME -----------------------------------------------------------

def test_setname(client):
    a = client("alice", caps=["setname"])
    n1 = client("withcap", caps=["setname"])
    n2 = client("nocap")
    watcher = client("watcher", caps=["setname", "extended-monitor"])
    watcher.send("MONITOR + alice")
    watcher.expect("730")
    for c in (a, n1, n2):
        c.send("JOIN #c")
        c.expect("366")
    n1.drain(0.1)
    n2.drain(0.1)
    a.send("SETNAME :Alice Liddell")
    m = a.expect("SETNAME")
    assert m.source == "alice!u@" + HOST and m.params == ["Alice Liddell"]
    assert n1.expect("SETNAME").params == ["Alice Liddell"]
    assert watcher.expect("SETNAME").params == ["Alice Liddell"]
    n2.assert_silent()
    n2.send("WHOIS alice")
    assert replies(n2, "318")[0].params[-1] == "Alice Liddell"


def test_setname_invalid(client):
    a = client("alice", caps=["setname"])
    a.send("SETNAME :")
    m = a.expect("FAIL")
    assert m.params[:2] == ["SETNAME", "INVALID_REALNAME"]
    a.send("SETNAME :" + "x" * 129)
    assert a.expect("FAIL").params[1] == "INVALID_REALNAME"
    a.send("SETNAME :" + "é" * 128)          # 128 characters is fine
    assert a.expect("SETNAME").params == ["é" * 128]
    a.send("SETNAME")
    a.expect("461")


def test_setname_without_cap_is_accepted_silently(client):
    a = client("alice")
    a.send("SETNAME :Quiet Change")
    assert [m.command for m in sync(a)] == []
    a.send("WHOIS alice")
    assert replies(a, "318")[0].params[-1] == "Quiet Change"


# ---- MONITOR -----------------------------------------------------------

def test_monitor_add_list_status_del_clear(client):
    w = client("watcher")
    client("bob")
    w.send("MONITOR + Bob,nobody")
    on = w.expect("730")
    assert on.params == ["watcher", "bob!u@" + HOST]
    assert w.expect("731").params == ["watcher", "nobody"]
    w.send("MONITOR L")
    got = replies(w, "733")
    listed = ",".join(m.params[1] for m in numerics(got, "732")).split(",")
    assert sorted(listed) == ["bob", "nobody"]
    w.send("MONITOR + bob")                   # already there: just status
    w.expect("730")
    w.send("MONITOR - nobody")
    assert sync(w) == []                      # no output
    w.send("MONITOR S")
    got = sync(w)
    assert [(m.command, m.params[1]) for m in got] == \
        [("730", "bob!u@" + HOST)]
    w.send("MONITOR C")
    assert sync(w) == []
    w.send("MONITOR l")
    assert [m.command for m in replies(w, "733")] == ["733"]


def test_monitor_invalid_targets_skipped(client):
    w = client("watcher")
    w.send("MONITOR + #chan,bad!nick,,ok")
    assert w.expect("731").params[1] == "ok"
    w.send("MONITOR L")
    got = replies(w, "733")
    assert [m.params[1] for m in numerics(got, "732")] == ["ok"]


def test_monitor_errors(client):
    w = client("watcher")
    w.send("MONITOR")
    w.expect("461")
    w.send("MONITOR +")
    w.expect("461")
    w.send("MONITOR X")
    m = w.expect("FAIL")
    assert m.params[0] == "MONITOR"


def test_monitor_list_full(make_server):
    s = make_server(["--max-monitor", "2"])
    w = s.client("watcher")
    try:
        w.send("MONITOR + a1,a2,a3,a4")
        got = sync(w)
        off = ",".join(m.params[1] for m in numerics(got, "731"))
        assert off.split(",") == ["a1", "a2"]
        full = numerics(got, "734")
        assert full[0].params[1:3] == ["2", "a3,a4"]
        w.send("MONITOR L")
        got = replies(w, "733")
        assert sorted(",".join(m.params[1] for m in numerics(got, "732"))
                      .split(",")) == ["a1", "a2"]
    finally:
        w.close()


def test_monitor_online_offline_on_connect_nick_and_quit(server, client):
    w = client("watcher")
    w.send("MONITOR + carol,dave")
    w.expect("731")
    w.drain(0.1)
    c = client("carol")
    assert w.expect("730").params[1] == "carol!u@" + HOST
    c.send("NICK dave")
    c.expect("NICK")
    assert w.expect("731").params[1] == "carol"
    assert w.expect("730").params[1] == "dave!u@" + HOST
    c.send("QUIT")
    c.wait_closed()
    assert w.expect("731").params[1] == "dave"
    w.send("MONITOR S")
    got = sync(w)
    assert {m.command for m in got} == {"731"}


def test_monitor_leaves_with_the_watcher(client):
    w = client("watcher")
    w.send("MONITOR + carol")
    w.expect("731")
    w.send("QUIT")
    w.wait_closed()
    client("carol")                           # nobody left to tell
    w2 = client("w2")
    w2.send("MONITOR + carol")
    assert w2.expect("730").params[1].startswith("carol!")


# ---- USERHOST, ISON ----------------------------------------------------

def test_userhost(client):
    a = client("alice")
    b = client("bob")
    a.send("USERHOST alice bob nobody")
    m = a.expect("302")
    assert m.params[1].split() == ["alice=+u@" + HOST, "bob=+u@" + HOST]
    b.send("AWAY :gone")
    b.expect("306")
    a.send("USERHOST BOB")
    assert a.expect("302").params[1] == "bob=-u@" + HOST
    a.send("USERHOST a b c d e alice")       # at most five nicks
    assert a.expect("302").params[1] == ""
    a.send("USERHOST")
    a.expect("461")


def test_ison(client):
    a = client("alice")
    client("Bob")
    a.send("ISON alice bob nobody")
    assert a.expect("303").params == ["alice", "alice Bob"]
    a.send("ISON :nobody BOB")
    assert a.expect("303").params == ["alice", "Bob"]
    a.send("ISON nobody")
    assert a.expect("303").params == ["alice", ""]
    a.send("ISON")
    a.expect("461")

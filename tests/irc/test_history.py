"""History: CHATHISTORY (draft/chathistory) with its selectors, TARGETS,
limits and errors, draft/event-playback, what is kept (TAGMSG reactions,
not typing), msgids and times as delivered live, labeled-response, a
restart, paging through 1000 messages; and who may read what (channel
modes, ex-members, DMs)."""
import datetime
import sqlite3
import time

import pytest

from conftest import isupport

PW = "history-pass"
HC = ["draft/chathistory", "batch", "server-time", "message-tags"]
EP = HC + ["draft/event-playback"]


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond //
                                                          1000)


def parse_ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


def shift(t, ms):
    """A timestamp string `ms` milliseconds after t (a string)."""
    return ts(parse_ts(t) + datetime.timedelta(milliseconds=ms))


def history(c, *args, label=None):
    """Run CHATHISTORY with args; returns (batch line, [lines in it]).
    Fails on a FAIL reply (use history_fail for those)."""
    line = "CHATHISTORY " + " ".join(str(a) for a in args)
    if label is not None:
        line = "@label=%s %s" % (label, line)
    c.send(line)
    start = c.expect(pred=lambda m: m.command == "FAIL" or (
        m.command == "BATCH" and m.params[0].startswith("+") and
        m.params[1] in ("chathistory", "draft/chathistory-targets")))
    assert start.command == "BATCH", start
    ref = start.params[0][1:]
    out = []
    while True:
        m = c.expect(pred=lambda m: m.tags.get("batch") == ref or (
            m.command == "BATCH" and m.params[0] == "-" + ref))
        if m.command == "BATCH" and m.params[0] == "-" + ref:
            return start, out
        out.append(m)


def texts(lines):
    return [m.params[-1] for m in lines if m.command in ("PRIVMSG", "NOTICE")]


def history_fail(c, *args):
    c.send("CHATHISTORY " + " ".join(str(a) for a in args))
    return c.expect("FAIL")


def say(c, target, *msgs, pause=0.0):
    """Send messages (the client has echo-message); returns the echoes."""
    out = []
    for t in msgs:
        c.send("PRIVMSG %s :%s" % (target, t))
        out.append(c.expect("PRIVMSG", pred=lambda m, t=t: m.params[-1] == t))
        if pause:
            time.sleep(pause)
    return out


def room(server, chan="#h", n=5, pause=0.0, caps=HC):
    """alice (echo-message) in chan with n messages said; returns
    (alice, [echoes])."""
    a = server.client("alice", caps=caps + ["echo-message"])
    a.send("JOIN " + chan)
    a.expect("366")
    a.drain(0.05)
    return a, say(a, chan, *["m%d" % i for i in range(1, n + 1)],
                  pause=pause)


# -- ISUPPORT

def test_isupport_tokens(server):
    c = server.client("x")
    tokens = isupport(c.lines)
    assert tokens["CHATHISTORY"] == "1000"
    assert tokens["MSGREFTYPES"] == "msgid,timestamp"


# -- the subcommands

def test_latest_star(server):
    a, sent = room(server)
    r = server.client("reader", caps=HC)
    start, lines = history(r, "LATEST", "#h", "*", 10)
    assert start.params[1:] == ["chathistory", "#h"]
    assert texts(lines) == ["m1", "m2", "m3", "m4", "m5"]
    for m in lines:
        assert m.nick == "alice" and m.params[0] == "#h"
        assert "time" in m.tags and "msgid" in m.tags
    _, lines = history(r, "LATEST", "#h", "*", 2)
    assert texts(lines) == ["m4", "m5"]


def test_latest_msgid_selector(server):
    a, sent = room(server)
    _, lines = history(a, "LATEST", "#h", "msgid=" + sent[1].tags["msgid"],
                       10)
    assert texts(lines) == ["m3", "m4", "m5"]
    _, lines = history(a, "LATEST", "#h", "msgid=" + sent[1].tags["msgid"],
                       2)
    assert texts(lines) == ["m4", "m5"]


def test_latest_timestamp_selector(server):
    a, sent = room(server, pause=0.01)
    t2 = sent[1].tags["time"]
    _, lines = history(a, "LATEST", "#h", "timestamp=" + t2, 10)
    assert texts(lines) == ["m3", "m4", "m5"]


def test_before(server):
    a, sent = room(server, pause=0.01)
    _, lines = history(a, "BEFORE", "#h", "msgid=" + sent[3].tags["msgid"],
                       2)
    assert texts(lines) == ["m2", "m3"]
    _, lines = history(a, "BEFORE", "#h",
                       "timestamp=" + sent[3].tags["time"], 10)
    assert texts(lines) == ["m1", "m2", "m3"]
    _, lines = history(a, "BEFORE", "#h", "msgid=" + sent[0].tags["msgid"],
                       10)
    assert lines == []


def test_after(server):
    a, sent = room(server, pause=0.01)
    _, lines = history(a, "AFTER", "#h", "msgid=" + sent[1].tags["msgid"], 2)
    assert texts(lines) == ["m3", "m4"]
    _, lines = history(a, "AFTER", "#h",
                       "timestamp=" + sent[1].tags["time"], 10)
    assert texts(lines) == ["m3", "m4", "m5"]
    _, lines = history(a, "AFTER", "#h", "msgid=" + sent[4].tags["msgid"],
                       10)
    assert lines == []


def test_around(server):
    a, sent = room(server, n=9, pause=0.01)
    _, lines = history(a, "AROUND", "#h", "msgid=" + sent[4].tags["msgid"],
                       4)
    got = texts(lines)
    assert len(got) == 4 and "m5" in got
    assert got == sorted(got)
    assert got[0] in ("m3", "m4")
    _, lines = history(a, "AROUND", "#h",
                       "timestamp=" + sent[4].tags["time"], 9)
    assert texts(lines) == ["m%d" % i for i in range(1, 10)]


def test_between_forwards(server):
    a, sent = room(server, n=6, pause=0.01)
    lo, hi = sent[0].tags["msgid"], sent[5].tags["msgid"]
    _, lines = history(a, "BETWEEN", "#h", "msgid=" + lo, "msgid=" + hi, 10)
    assert texts(lines) == ["m2", "m3", "m4", "m5"]
    # The limit counts from the first selector.
    _, lines = history(a, "BETWEEN", "#h", "msgid=" + lo, "msgid=" + hi, 2)
    assert texts(lines) == ["m2", "m3"]


def test_between_backwards(server):
    a, sent = room(server, n=6, pause=0.01)
    lo, hi = sent[0].tags["msgid"], sent[5].tags["msgid"]
    _, lines = history(a, "BETWEEN", "#h", "msgid=" + hi, "msgid=" + lo, 10)
    assert texts(lines) == ["m2", "m3", "m4", "m5"]
    _, lines = history(a, "BETWEEN", "#h", "msgid=" + hi, "msgid=" + lo, 2)
    assert texts(lines) == ["m4", "m5"]


def test_between_timestamps_between_messages(server):
    # Bounds that fall between two messages: every message strictly
    # inside them, whichever way round.
    a, sent = room(server, n=5, pause=0.02)
    times = [m.tags["time"] for m in sent]
    assert len(set(times)) == 5
    lo = "timestamp=" + shift(times[0], 1)
    hi = "timestamp=" + shift(times[4], -1)
    _, lines = history(a, "BETWEEN", "#h", lo, hi, 10)
    assert texts(lines) == ["m2", "m3", "m4"]
    _, lines = history(a, "BETWEEN", "#h", hi, lo, 10)
    assert texts(lines) == ["m2", "m3", "m4"]
    _, lines = history(a, "BETWEEN", "#h", lo, hi, 1)
    assert texts(lines) == ["m2"]
    _, lines = history(a, "BETWEEN", "#h", hi, lo, 1)
    assert texts(lines) == ["m4"]


def test_targets(server):
    server.register_account("alice", PW)
    server.register_account("bob", PW)
    server.register_account("carol", PW)
    a = server.sasl_client("alice", "alice", PW, caps=HC)
    b = server.sasl_client("bob", "bob", PW, caps=HC)
    c = server.sasl_client("carol", "carol", PW, caps=HC)
    t0 = ts(datetime.datetime.now(datetime.timezone.utc) -
            datetime.timedelta(seconds=5))
    for x in (a, b):
        x.send("JOIN #t")
        x.expect("366")
    b.send("PRIVMSG #t :in the channel")
    a.expect("PRIVMSG")
    time.sleep(0.02)
    b.send("PRIVMSG alice :a dm")
    a.expect("PRIVMSG")
    time.sleep(0.02)
    c.send("PRIVMSG bob :not alice's")
    b.expect("PRIVMSG")
    t1 = ts(datetime.datetime.now(datetime.timezone.utc) +
            datetime.timedelta(seconds=5))
    start, lines = history(a, "TARGETS", "timestamp=" + t0,
                           "timestamp=" + t1, 10)
    assert start.params[1] == "draft/chathistory-targets"
    got = [(m.params[1], m.params[2]) for m in lines]
    assert all(m.command == "CHATHISTORY" and m.params[0] == "TARGETS"
               for m in lines)
    names = [g[0] for g in got]
    assert sorted(names) == ["#t", "bob"]
    stamps = [parse_ts(g[1]) for g in got]
    assert stamps == sorted(stamps) or stamps == sorted(stamps, reverse=True)
    # The other way round gives the same.
    _, lines2 = history(a, "TARGETS", "timestamp=" + t1, "timestamp=" + t0,
                        10)
    assert sorted(m.params[1] for m in lines2) == ["#t", "bob"]
    # A window before everything is empty.
    _, lines3 = history(a, "TARGETS", "timestamp=2001-01-01T00:00:00.000Z",
                        "timestamp=2001-01-02T00:00:00.000Z", 10)
    assert lines3 == []


def test_limit_clamped(make_server):
    s = make_server(["--flood-burst", "0"])
    a = s.client("alice", caps=HC)
    a.send("JOIN #big")
    a.expect("366")
    a.drain(0.05)
    a.send_raw(b"".join(b"PRIVMSG #big :n%d\r\n" % i for i in range(1005)))
    a.send("PING :sent")
    a.expect("PONG", timeout=30)
    _, lines = history(a, "LATEST", "#big", "*", 5000)
    assert len(lines) == 1000
    assert texts(lines)[-1] == "n1004" and texts(lines)[0] == "n5"
    _, lines = history(a, "LATEST", "#big", "*", 0)
    assert len(lines) == 1000


# -- errors

@pytest.mark.parametrize("args", [
    ("FROBNICATE", "#h", "*", "10"),
    ("LATEST", "#h", "nonsense", "10"),
    ("LATEST", "#h", "msgid=", "10"),
    ("BEFORE", "#h", "timestamp=yesterday", "10"),
    ("AFTER", "#h", "*", "10"),
    ("LATEST", "#h", "*", "ten"),
    ("LATEST", "#h", "*", "-1"),
    ("BETWEEN", "#h", "*", "*", "10"),
    ("TARGETS", "msgid=abc", "timestamp=2020-01-01T00:00:00.000Z", "10"),
    ("LATEST", "#h", "*"),
])
def test_invalid_params(server, args):
    a, _ = room(server, n=1)
    m = history_fail(a, *args)
    assert m.params[:2] == ["CHATHISTORY", "INVALID_PARAMS"], m
    a.assert_silent(0.1)


def test_invalid_target_unknown_channel(server):
    a = server.client("alice", caps=HC)
    m = history_fail(a, "LATEST", "#nowhere", "*", 10)
    assert m.params[:4] == ["CHATHISTORY", "INVALID_TARGET", "LATEST",
                            "#nowhere"]


# -- event-playback

def busy_channel(server):
    """#ev with a message, JOIN, PART, KICK, TOPIC, NICK, QUIT, MODE."""
    a = server.client("alice")
    a.send("JOIN #ev")
    a.expect("366")
    who = {}
    for n in ("bob", "carol", "dave", "erin"):
        who[n] = server.client(n)
        who[n].send("JOIN #ev")
        who[n].expect("366")
        a.expect("JOIN")
    bob, dave, erin = who["bob"], who["dave"], who["erin"]
    a.send("PRIVMSG #ev :hello")
    a.send("TOPIC #ev :a topic")
    a.expect("TOPIC")
    a.send("MODE #ev +v bob")
    a.expect("MODE")
    bob.send("NICK bobby")
    a.expect("NICK")
    a.send("KICK #ev carol :out")
    a.expect("KICK")
    dave.send("PART #ev :bye")
    a.expect("PART")
    erin.send("QUIT :gone")
    a.expect("QUIT")
    a.send("NOTICE #ev :the end")
    return a


def test_event_playback_on(server):
    busy_channel(server)
    r = server.client("reader", caps=EP)
    _, lines = history(r, "LATEST", "#ev", "*", 100)
    cmds = [m.command for m in lines]
    for cmd in ("JOIN", "PART", "KICK", "TOPIC", "NICK", "QUIT", "MODE",
                "PRIVMSG", "NOTICE"):
        assert cmd in cmds, (cmd, cmds)
    kick = lines[cmds.index("KICK")]
    assert kick.params == ["#ev", "carol", "out"]
    mode = lines[cmds.index("MODE")]
    assert mode.params[:3] == ["#ev", "+v", "bob"]
    nick = lines[cmds.index("NICK")]
    assert nick.nick == "bob" and nick.params == ["bobby"]
    assert lines[cmds.index("QUIT")].params == ["Quit: gone"]
    # In the order they happened.
    stamps = [m.tags["time"] for m in lines]
    assert stamps == sorted(stamps)


def test_event_playback_off(server):
    busy_channel(server)
    r = server.client("reader", caps=HC)
    _, lines = history(r, "LATEST", "#ev", "*", 100)
    assert [m.command for m in lines] == ["PRIVMSG", "NOTICE"]
    assert texts(lines) == ["hello", "the end"]


def test_event_playback_extended_join(server):
    server.register_account("acct", PW)
    a = server.sasl_client("joiner", "acct", PW)
    a.send("JOIN #ej")
    a.expect("366")
    r = server.client("reader", caps=EP + ["extended-join"])
    _, lines = history(r, "LATEST", "#ej", "*", 10)
    j = [m for m in lines if m.command == "JOIN"][0]
    assert j.params == ["#ej", "acct", "Real Name"]
    r2 = server.client("reader2", caps=EP)
    _, lines = history(r2, "LATEST", "#ej", "*", 10)
    assert [m for m in lines if m.command == "JOIN"][0].params == ["#ej"]


def test_event_playback_limit_counts_what_is_sent(server):
    # event-playback without message-tags: TAGMSGs are not sent, and
    # do not eat into the limit either.
    a = server.client("alice", caps=["message-tags"])
    a.send("JOIN #tm")
    a.expect("366")
    a.send("PRIVMSG #tm :first")
    for i in range(5):
        a.send("@+draft/react=x;+draft/reply=abc TAGMSG #tm")
    a.send("PING :x")
    a.expect("PONG")
    r = server.client("reader", caps=["draft/chathistory", "batch",
                                      "draft/event-playback"])
    _, lines = history(r, "LATEST", "#tm", "*", 2)
    assert [m.command for m in lines] == ["JOIN", "PRIVMSG"]


# -- what is kept

def test_tagmsg_react_kept_typing_not(server):
    a = server.client("alice", caps=["message-tags", "echo-message"])
    a.send("JOIN #tg")
    a.expect("366")
    a.send("PRIVMSG #tg :react to me")
    mid = a.expect("PRIVMSG").tags["msgid"]
    a.send("@+typing=active TAGMSG #tg")
    a.expect("TAGMSG")
    a.send("@+draft/reply=%s;+draft/react=:) TAGMSG #tg" % mid)
    live = a.expect("TAGMSG")
    r = server.client("reader", caps=EP)
    _, lines = history(r, "LATEST", "#tg", "*", 10)
    tagmsgs = [m for m in lines if m.command == "TAGMSG"]
    assert len(tagmsgs) == 1
    assert tagmsgs[0].tags["+draft/react"] == ":)"
    assert tagmsgs[0].tags["+draft/reply"] == mid
    assert tagmsgs[0].tags["msgid"] == live.tags["msgid"]
    assert "+typing" not in tagmsgs[0].tags
    # Without event-playback, no TAGMSG at all.
    r2 = server.client("reader2", caps=HC)
    _, lines = history(r2, "LATEST", "#tg", "*", 10)
    assert [m.command for m in lines] == ["PRIVMSG"]


def test_same_msgid_and_time_as_live(server):
    a, sent = room(server, n=3)
    b = server.client("bob", caps=HC)
    b.send("JOIN #h")
    b.expect("366")
    b.drain(0.05)
    a.send("PRIVMSG #h :live one")
    live = b.expect("PRIVMSG")
    echo = a.expect("PRIVMSG")
    assert echo.tags["msgid"] == live.tags["msgid"]
    _, lines = history(b, "LATEST", "#h", "*", 10)
    want = {m.tags["msgid"]: m.tags["time"] for m in sent}
    want[live.tags["msgid"]] = live.tags["time"]
    got = {m.tags["msgid"]: m.tags["time"] for m in lines}
    assert got == want


def test_server_time_order(server):
    a, sent = room(server, n=20)
    _, lines = history(a, "LATEST", "#h", "*", 100)
    stamps = [parse_ts(m.tags["time"]) for m in lines]
    assert stamps == sorted(stamps)
    assert texts(lines) == ["m%d" % i for i in range(1, 21)]


def test_labeled_chathistory(server):
    a, _ = room(server, n=2, caps=HC + ["labeled-response"])
    a.send("@label=h1 CHATHISTORY LATEST #h * 10")
    outer = a.expect("BATCH")
    assert outer.tags.get("label") == "h1"
    assert outer.params[1] == "labeled-response"
    inner = a.expect("BATCH")
    assert inner.tags.get("batch") == outer.params[0][1:]
    assert inner.params[1:] == ["chathistory", "#h"]
    ref = inner.params[0][1:]
    for want in ("m1", "m2"):
        m = a.expect("PRIVMSG")
        assert m.tags["batch"] == ref and m.params[1] == want
    assert a.expect("BATCH").params == ["-" + ref]
    assert a.expect("BATCH").params == ["-" + outer.params[0][1:]]
    # An error is labeled too.
    a.send("@label=h2 CHATHISTORY LATEST #nowhere * 10")
    m = a.expect("FAIL")
    assert m.tags.get("label") == "h2"


def test_history_survives_restart(server):
    server.register_account("alice", PW)
    server.register_account("bob", PW)
    a = server.sasl_client("alice", "alice", PW, caps=HC + ["echo-message"])
    b = server.sasl_client("bob", "bob", PW, caps=HC)
    a.send("JOIN #keep")
    a.expect("366")
    sent = say(a, "#keep", "one", "two")
    dm = say(a, "bob", "private")
    server.restart()
    a = server.sasl_client("alice", "alice", PW, caps=HC)
    a.ensure_join("#keep")
    _, lines = history(a, "BEFORE", "#keep", "*", 10)
    got = [(m.tags["msgid"], m.params[-1]) for m in lines
           if m.command == "PRIVMSG"]
    assert got == [(m.tags["msgid"], m.params[-1]) for m in sent]
    _, lines = history(a, "LATEST", "bob", "*", 10)
    assert [(m.tags["msgid"], m.params[-1]) for m in lines] == \
        [(dm[0].tags["msgid"], "private")]
    b.close()


def test_page_1000_messages(make_server):
    s = make_server(["--flood-burst", "0"])
    a = s.client("alice", caps=HC + ["echo-message"])
    a.send("JOIN #pages")
    a.expect("366")
    a.drain(0.05)
    a.send_raw(b"".join(b"PRIVMSG #pages :p%d\r\n" % i for i in range(1000)))
    last = a.expect("PRIVMSG", pred=lambda m: m.params[-1] == "p999",
                    timeout=30)
    a.drain(0.1)
    seen = []
    ids = set()
    _, lines = history(a, "LATEST", "#pages", "*", 37)
    assert lines[-1].tags["msgid"] == last.tags["msgid"]
    while lines:
        seen[:0] = texts(lines)
        for m in lines:
            assert m.tags["msgid"] not in ids
            ids.add(m.tags["msgid"])
        _, lines = history(a, "BEFORE", "#pages",
                           "msgid=" + lines[0].tags["msgid"], 37)
    assert seen == ["p%d" % i for i in range(1000)]


# -- privacy

def private_room(server, mode):
    """#p with alice (op) and mode set, one message said."""
    a = server.client("alice", caps=["echo-message"])
    a.send("JOIN #p")
    a.expect("366")
    a.send("MODE #p " + mode)
    a.expect("MODE")
    a.send("PRIVMSG #p :secret stuff")
    a.expect("PRIVMSG")
    return a


@pytest.mark.parametrize("mode", ["+i", "+k key", "+s"])
def test_private_channel_not_readable_by_others(server, mode):
    private_room(server, mode)
    e = server.client("eve", caps=HC)
    m = history_fail(e, "LATEST", "#p", "*", 10)
    assert m.params[:4] == ["CHATHISTORY", "INVALID_TARGET", "LATEST", "#p"]
    m = history_fail(e, "BEFORE", "#P", "timestamp=2100-01-01T00:00:00.000Z",
                     10)
    assert m.params[1] == "INVALID_TARGET"


def test_public_channel_readable_by_others(server):
    private_room(server, "+m")
    e = server.client("eve", caps=HC)
    _, lines = history(e, "LATEST", "#p", "*", 10)
    assert texts(lines) == ["secret stuff"]


def test_private_channel_not_in_targets(server):
    server.register_account("eve", PW)
    private_room(server, "+i")
    e = server.sasl_client("eve", "eve", PW, caps=HC)
    _, lines = history(e, "TARGETS", "timestamp=2000-01-01T00:00:00.000Z",
                       "timestamp=2100-01-01T00:00:00.000Z", 10)
    assert lines == []


def test_ex_member_after_part(server):
    a = private_room(server, "+i")
    e = server.client("eve", caps=HC)
    a.send("INVITE eve #p")
    e.expect("INVITE")
    e.send("JOIN #p")
    e.expect("366")
    _, lines = history(e, "LATEST", "#p", "*", 10)
    assert texts(lines) == ["secret stuff"]
    e.send("PART #p")
    e.expect("PART")
    assert history_fail(e, "LATEST", "#p", "*", 10).params[1] == \
        "INVALID_TARGET"


def test_ex_member_after_kick(server):
    a = private_room(server, "+i")
    e = server.client("eve", caps=HC)
    a.send("INVITE eve #p")
    e.expect("INVITE")
    e.send("JOIN #p")
    e.expect("366")
    a.send("KICK #p eve")
    e.expect("KICK")
    assert history_fail(e, "LATEST", "#p", "*", 10).params[1] == \
        "INVALID_TARGET"


def test_dm_not_readable_by_third_party(server):
    for n in ("alice", "bob", "eve"):
        server.register_account(n, PW)
    a = server.sasl_client("alice", "alice", PW, caps=HC)
    b = server.sasl_client("bob", "bob", PW, caps=HC)
    e = server.sasl_client("eve", "eve", PW, caps=HC)
    a.send("PRIVMSG bob :for bob only")
    b.expect("PRIVMSG")
    _, lines = history(b, "LATEST", "alice", "*", 10)
    assert texts(lines) == ["for bob only"]
    for who in ("alice", "bob", "ALICE"):
        try:
            _, lines = history(e, "LATEST", who, "*", 10)
        except AssertionError:
            continue        # INVALID_TARGET is as good
        assert texts(lines) == []
    _, lines = history(e, "TARGETS", "timestamp=2000-01-01T00:00:00.000Z",
                       "timestamp=2100-01-01T00:00:00.000Z", 10)
    assert lines == []


def test_dm_history_needs_login(server):
    server.register_account("alice", PW)
    a = server.sasl_client("alice", "alice", PW)
    n = server.client("anon", caps=HC)
    a.send("PRIVMSG anon :hello anon")
    n.expect("PRIVMSG")
    m = history_fail(n, "LATEST", "alice", "*", 10)
    assert m.params[:4] == ["CHATHISTORY", "INVALID_TARGET", "LATEST",
                            "alice"]


def test_guest_dm_not_stored(server):
    """A DM between two guests has no account to read it back: no row."""
    a = server.client("gina", caps=HC)
    b = server.client("hank", caps=HC)
    a.send("PRIVMSG hank :between guests")
    b.expect("PRIVMSG")
    server.register_account("ivy", PW)
    i = server.sasl_client("ivy", "ivy", PW, caps=HC)
    a.send("PRIVMSG ivy :to an account")
    i.expect("PRIVMSG")
    _, lines = history(i, "LATEST", "gina", "*", 10)
    assert texts(lines) == ["to an account"]
    db = sqlite3.connect(server.path("lanchat.db"), timeout=10)
    try:
        bodies = [r[0] for r in db.execute(
            "SELECT body FROM history WHERE target = ''")]
    finally:
        db.close()
    assert bodies == ["to an account"]


def test_banned_cannot_read(server):
    private_room(server, "+b eve!*@*")
    e = server.client("eve", caps=HC)
    assert history_fail(e, "LATEST", "#p", "*", 10).params[1] == \
        "INVALID_TARGET"
    f = server.client("frank", caps=HC)
    _, lines = history(f, "LATEST", "#p", "*", 10)
    assert texts(lines) == ["secret stuff"]


def body_bytes(m):
    """Bytes of a received line after its tags, with the CRLF."""
    raw = m.raw.encode("utf-8")
    if raw.startswith(b"@"):
        raw = raw.split(b" ", 1)[1]
    return len(raw) + 2


def test_dm_replay_under_longer_nick_fits(server):
    """A DM as long as a line allows, sent to an account that is away
    and replayed when it logs in under a longer nick, is still at most
    512 bytes (cut, not sent over)."""
    for n in ("alice", "b"):
        server.register_account(n, PW)
    a = server.sasl_client("alice", "alice", PW, caps=HC + ["echo-message"])
    a.send("PRIVMSG b :" + "é" * 249)
    echo = a.expect("PRIVMSG")
    assert len(echo.params[-1].encode()) > 400
    long = "b" + "x" * 31
    b = server.sasl_client(long, "b", PW)      # no chathistory: replayed
    b.drain(0.5)
    got = [m for m in b.lines if m.command == "PRIVMSG"]
    assert len(got) == 1
    got = got[0]
    assert got.params[0] == long
    assert body_bytes(got) <= 512
    assert "é" * 200 in got.params[-1]

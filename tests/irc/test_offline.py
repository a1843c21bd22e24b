"""Offline delivery, read markers and ordering: DMs to a registered user
who is away from every device wait in history (RECIPIENT_OFFLINE), are
found with CHATHISTORY TARGETS/LATEST, or are replayed at login to
clients that cannot ask for history (with mentions from channels, and
nothing the user had already seen or marked read); MARKREAD
(draft/read-marker); a PONG never overtakes the echo of a message sent
before the PING."""
import datetime
import time

PW = "offline-pass"
HC = ["draft/chathistory", "batch", "server-time", "message-tags"]
RM = ["draft/read-marker"]


def now_ts(delta_s=0.0):
    t = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond //
                                                          1000)


def accounts(server, *names):
    for n in names:
        server.register_account(n, PW)


def logout(c):
    c.send("QUIT")
    c.wait_closed()


def history(c, *args):
    c.send("CHATHISTORY " + " ".join(str(a) for a in args))
    start = c.expect("BATCH", pred=lambda m: m.params[0].startswith("+"))
    ref = start.params[0][1:]
    out = []
    while True:
        m = c.expect(pred=lambda m: m.tags.get("batch") == ref or (
            m.command == "BATCH" and m.params[0] == "-" + ref))
        if m.command == "BATCH":
            return out
        out.append(m)


def replayed(c, settle=0.5):
    """The PRIVMSG/NOTICE lines c got since it registered (after 001),
    other than from NickServ."""
    c.drain(settle)
    seen = False
    out = []
    for m in c.lines:
        if m.command == "001":
            seen = True
        elif seen and m.command in ("PRIVMSG", "NOTICE") and \
                m.nick not in ("NickServ", None) and m.source != \
                "test.lanchat":
            out.append(m)
    return out


# -- offline delivery

def test_dm_to_offline_account_is_accepted(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW,
                           caps=["echo-message", "message-tags"])
    a.send("PRIVMSG bob :are you there?")
    echo = a.expect("PRIVMSG")
    assert echo.params == ["bob", "are you there?"]
    assert "msgid" in echo.tags
    note = a.expect("NOTE")
    assert note.params[:3] == ["PRIVMSG", "RECIPIENT_OFFLINE", "bob"]
    assert not any(m.command == "401" for m in a.drain(0.2))
    # Not for names that are no account.
    a.send("PRIVMSG nobody :hello?")
    a.expect("401")


def test_offline_dm_found_with_targets_and_latest(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW, caps=["echo-message"])
    t0 = now_ts(-5)
    a.send("PRIVMSG bob :while you were out")
    a.expect("PRIVMSG")
    b = server.sasl_client("bob", "bob", PW, caps=HC)
    assert not any(m.command == "PRIVMSG" for m in b.drain(0.3))
    got = history(b, "TARGETS", "timestamp=" + t0,
                  "timestamp=" + now_ts(5), 50)
    assert [m.params[1] for m in got] == ["alice"]
    lines = history(b, "LATEST", got[0].params[1], "*", 50)
    assert [(m.nick, m.params) for m in lines] == \
        [("alice", ["bob", "while you were out"])]


def test_offline_dm_replayed_at_login(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW)
    a.send("PRIVMSG bob :first")
    a.send("PRIVMSG bob :second")
    a.send("PING :x")
    a.expect("PONG")
    b = server.sasl_client("bob", "bob", PW,
                           caps=["batch", "server-time"])
    got = replayed(b)
    assert [(m.nick, m.params) for m in got] == \
        [("alice", ["bob", "first"]), ("alice", ["bob", "second"])]
    for m in got:
        assert "time" in m.tags and "batch" in m.tags
    opens = [m for m in b.lines if m.command == "BATCH" and
             m.params[0] == "+" + got[0].tags["batch"]]
    assert opens and opens[0].params[1] == "chathistory"
    assert any(m.command == "BATCH" and m.params[0] == "-" +
               got[0].tags["batch"] for m in b.lines)


def test_offline_dm_replayed_without_batch(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW)
    a.send("PRIVMSG bob :plain client")
    a.send("PING :x")
    a.expect("PONG")
    b = server.client("bob")
    b.send("NS IDENTIFY " + PW)
    b.expect("900")
    got = replayed(b)
    assert [m.params for m in got] == [["bob", "plain client"]]
    assert got[0].tags == {}
    assert not any(m.command == "BATCH" for m in b.lines)


def test_no_replay_with_chathistory(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW)
    a.send("PRIVMSG bob :ask for it")
    a.send("PING :x")
    a.expect("PONG")
    b = server.sasl_client("bob", "bob", PW, caps=HC)
    assert replayed(b) == []


def test_mentions_replayed(server):
    accounts(server, "alice", "bob")
    b = server.sasl_client("bob", "bob", PW)
    b.send("JOIN #room")
    b.expect("366")
    logout(b)
    a = server.sasl_client("alice", "alice", PW)
    a.send("JOIN #room")
    a.expect("366")
    a.send("PRIVMSG #room :nothing for anyone")
    a.send("PRIVMSG #room :hey Bob, look at this")
    a.send("PRIVMSG #room :bobcat is not bob's nick")
    a.send("PRIVMSG #room :bobby neither")
    a.send("PING :x")
    a.expect("PONG")
    b = server.sasl_client("bob", "bob", PW, caps=["server-time"])
    got = replayed(b)
    assert [m.params for m in got] == \
        [["#room", "hey Bob, look at this"],
         ["#room", "bobcat is not bob's nick"]]


def test_nothing_before_last_logout_replayed(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW)
    b = server.sasl_client("bob", "bob", PW)
    a.send("PRIVMSG bob :seen live")
    b.expect("PRIVMSG")
    time.sleep(0.01)
    logout(b)
    time.sleep(0.01)
    a.send("PRIVMSG bob :missed")
    a.send("PING :x")
    a.expect("PONG")
    b = server.sasl_client("bob", "bob", PW)
    assert [m.params[1] for m in replayed(b)] == ["missed"]
    logout(b)
    b = server.sasl_client("bob", "bob", PW)
    assert replayed(b) == []


def test_markread_keeps_it_from_replay(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW)
    b = server.sasl_client("bob", "bob", PW, caps=HC + RM)
    a.send("PRIVMSG bob :read on the phone")
    t1 = b.expect("PRIVMSG").tags["time"]
    time.sleep(0.01)
    a.send("PRIVMSG bob :not read yet")
    b.expect("PRIVMSG")
    b.send("MARKREAD alice timestamp=" + t1)
    b.expect("MARKREAD")
    # Another client logs in to bob with NickServ while the phone is
    # online: what bob missed since his last logout, less what he read.
    d = server.client("bobdesk")
    d.send("NS IDENTIFY bob " + PW)
    d.expect("900")
    assert [m.params[1] for m in replayed(d)] == ["not read yet"]


def test_markread_survives_in_replay_after_restart(server):
    accounts(server, "alice", "bob")
    a = server.sasl_client("alice", "alice", PW)
    # Markers are times: messages in one millisecond are read together.
    a.send("PRIVMSG bob :one")
    a.send("PING :x")
    a.expect("PONG")
    time.sleep(0.01)
    a.send("PRIVMSG bob :two")
    a.send("PING :x")
    a.expect("PONG")
    b = server.sasl_client("bob", "bob", PW, caps=HC + RM)
    lines = history(b, "LATEST", "alice", "*", 10)
    b.send("MARKREAD alice timestamp=" + lines[0].tags["time"])
    b.expect("MARKREAD")
    time.sleep(0.2)
    server.kill9()      # bob's logout is never written
    server.start()
    b = server.sasl_client("bob", "bob", PW)
    assert [m.params[1] for m in replayed(b)] == ["two"]


# -- MARKREAD

def test_markread_get_none(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    b.send("MARKREAD #nothing")
    assert b.expect("MARKREAD").params == ["#nothing", "*"]
    b.send("MARKREAD alice")
    assert b.expect("MARKREAD").params == ["alice", "*"]


def test_markread_set_and_get(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    t = now_ts(-60)
    b.send("MARKREAD #chan timestamp=" + t)
    m = b.expect("MARKREAD")
    assert m.source == "test.lanchat"
    assert m.params == ["#chan", "timestamp=" + t]
    b.send("MARKREAD #CHAN")
    assert b.expect("MARKREAD").params[1] == "timestamp=" + t


def test_markread_only_forward(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    t = now_ts(-60)
    b.send("MARKREAD #chan timestamp=" + t)
    b.expect("MARKREAD")
    b.send("MARKREAD #chan timestamp=" + now_ts(-3600))
    assert b.expect("MARKREAD").params == ["#chan", "timestamp=" + t]
    b.send("MARKREAD #chan timestamp=" + t)
    assert b.expect("MARKREAD").params == ["#chan", "timestamp=" + t]


def test_markread_not_in_the_future(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    b.send("MARKREAD #chan timestamp=2999-01-01T00:00:00.000Z")
    got = b.expect("MARKREAD").params[1]
    assert got.startswith("timestamp=") and got < "timestamp=" + now_ts(2)


def test_markread_broadcast_to_other_sessions(server):
    accounts(server, "bob")
    b1 = server.sasl_client("bob", "bob", PW, caps=RM)
    b2 = server.sasl_client("bob", "bob", PW, caps=RM)
    b3 = server.sasl_client("bob", "bob", PW)
    t = now_ts(-10)
    b1.send("MARKREAD #chan timestamp=" + t)
    assert b1.expect("MARKREAD").params == ["#chan", "timestamp=" + t]
    assert b2.expect("MARKREAD").params == ["#chan", "timestamp=" + t]
    assert not any(m.command == "MARKREAD" for m in b3.drain(0.2))
    # An old value changes nothing: only the sender hears back.
    b1.send("MARKREAD #chan timestamp=" + now_ts(-100))
    b1.expect("MARKREAD")
    assert not any(m.command == "MARKREAD" for m in b2.drain(0.2))


def test_markread_after_join(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    b.send("JOIN #mj")
    b.expect("JOIN")
    m = b.expect("MARKREAD")
    assert m.params == ["#mj", "*"]
    cmds = [x.command for x in b.lines]
    assert cmds.index("MARKREAD") < cmds.index("366") if "366" in cmds \
        else True
    b.expect("366")
    t = now_ts(-5)
    b.send("MARKREAD #mj timestamp=" + t)
    b.expect("MARKREAD")
    b.send("PART #mj")
    b.expect("PART")
    b.send("JOIN #mj")
    b.expect("JOIN")
    assert b.expect("MARKREAD").params == ["#mj", "timestamp=" + t]
    b.expect("366")
    # Without the cap, no MARKREAD.
    accounts(server, "carl")
    c = server.sasl_client("carl", "carl", PW)
    c.send("JOIN #mj")
    got = [m.command for m in c.drain(0.3)]
    assert "366" in got and "MARKREAD" not in got


def test_markread_after_join_on_another_device(server):
    # The second device gets a JOIN for each channel; the marker follows.
    accounts(server, "bob")
    b1 = server.sasl_client("bob", "bob", PW, caps=RM)
    b1.send("JOIN #mj")
    b1.expect("366")
    t = now_ts(-5)
    b1.send("MARKREAD #mj timestamp=" + t)
    b1.expect("MARKREAD")
    b2 = server.sasl_client("bob", "bob", PW, caps=RM)
    b2.drain(0.2)
    cmds = [m.command for m in b2.lines]
    i = cmds.index("JOIN")
    assert b2.lines[i + 1].command == "MARKREAD"
    assert b2.lines[i + 1].params == ["#mj", "timestamp=" + t]


def test_markread_errors(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    b.send("MARKREAD")
    m = b.expect("FAIL")
    assert m.params[:2] == ["MARKREAD", "NEED_MORE_PARAMS"]
    for bad in ("*", "2020-01-01T00:00:00.000Z", "timestamp=yesterday",
                "timestamp="):
        b.send("MARKREAD #chan " + bad)
        m = b.expect("FAIL")
        assert m.params[:2] == ["MARKREAD", "INVALID_PARAMS"], (bad, m)
    n = server.client("anon", caps=RM)
    n.send("MARKREAD #chan")
    m = n.expect("FAIL")
    assert m.params[:2] == ["MARKREAD", "ACCOUNT_REQUIRED"]
    n.send("MARKREAD #chan timestamp=" + now_ts(-1))
    m = n.expect("FAIL")
    assert m.params[:2] == ["MARKREAD", "ACCOUNT_REQUIRED"]


def test_markread_survives_restart(server):
    accounts(server, "bob")
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    t = now_ts(-30)
    b.send("MARKREAD #keep timestamp=" + t)
    b.expect("MARKREAD")
    b.send("MARKREAD carol timestamp=" + t)
    b.expect("MARKREAD")
    server.restart()
    b = server.sasl_client("bob", "bob", PW, caps=RM)
    b.send("MARKREAD #keep")
    assert b.expect("MARKREAD").params == ["#keep", "timestamp=" + t]
    b.send("MARKREAD carol")
    assert b.expect("MARKREAD").params == ["carol", "timestamp=" + t]


# -- ordering

def test_pong_after_echo(server):
    a = server.client("alice", caps=["echo-message"])
    b = server.client("bob")
    for x in (a, b):
        x.send("JOIN #o")
        x.expect("366")
    a.drain(0.05)
    for i in range(20):
        a.send_raw(b"PRIVMSG #o :msg %d\r\nPING :p%d\r\n" % (i, i))
    for i in range(20):
        a.expect("PONG", p1="p%d" % i)
    order = [(m.command, m.params[-1]) for m in a.lines
             if m.command in ("PRIVMSG", "PONG")]
    want = []
    for i in range(20):
        want += [("PRIVMSG", "msg %d" % i), ("PONG", "p%d" % i)]
    assert order == want


def test_pong_after_echo_of_dm(server):
    accounts(server, "bob")
    a = server.client("alice", caps=["echo-message"])
    a.send_raw(b"PRIVMSG bob :offline one\r\nPING :after\r\n")
    a.expect("PONG")
    order = [m.command for m in a.lines if m.command in ("PRIVMSG", "PONG")]
    assert order == ["PRIVMSG", "PONG"]


def test_mentions_of_nick_other_than_account(server):
    # The account is robert, the nick bob: a mention of either counts.
    server.register_account("robert", PW, nick="bob")
    b = server.sasl_client("bob", "robert", PW)
    b.send("JOIN #room")
    b.expect("366")
    logout(b)
    accounts(server, "alice")
    a = server.sasl_client("alice", "alice", PW)
    a.send("JOIN #room")
    a.expect("366")
    a.send("PRIVMSG #room :bob, are you there?")
    a.send("PRIVMSG #room :robert: this one too")
    a.send("PRIVMSG #room :not for him")
    a.send("PING :x")
    a.expect("PONG")
    b = server.sasl_client("bob", "robert", PW)
    assert [m.params[1] for m in replayed(b)] == \
        ["bob, are you there?", "robert: this one too"]


def test_dm_to_account_name_of_online_user(server):
    # robert is online as bob: a DM to "robert" reaches him now.
    server.register_account("robert", PW, nick="bob")
    b = server.sasl_client("bob", "robert", PW)
    a = server.client("alice", caps=["echo-message"])
    a.send("PRIVMSG robert :by account name")
    m = b.expect("PRIVMSG")
    assert m.params[1] == "by account name"
    got = a.drain(0.3)
    assert not any(x.command == "NOTE" for x in got), got

"""PRIVMSG and NOTICE: to channels and nicks, errors, privacy of direct
messages, STATUSMSG (RFC 2812 3.3, modern.ircdocs.horse)."""


def join(c, *chans):
    c.send("JOIN " + ",".join(chans))
    for ch in chans:
        c.expect("366", p1=ch)
    c.drain(0.02)


def trio(client, chan="#room"):
    a, b, c = client("alice"), client("bob"), client("carol")
    for x in (a, b, c):
        join(x, chan)
    for x in (a, b, c):
        x.drain(0.05)
    return a, b, c


def test_privmsg_to_channel(client):
    a, b, c = trio(client)
    a.send("PRIVMSG #room :hello, room")
    for x in (b, c):
        m = x.expect("PRIVMSG")
        assert m.source == "alice!u@127.0.0.1"
        assert m.params == ["#room", "hello, room"]
    # No echo without echo-message.
    a.assert_silent(0.2)


def test_notice_to_channel(client):
    a, b, c = trio(client)
    a.send("NOTICE #room :heads up")
    for x in (b, c):
        m = x.expect("NOTICE")
        assert m.nick == "alice" and m.params == ["#room", "heads up"]
    a.assert_silent(0.2)


def test_privmsg_to_nick(client):
    a, b = client("alice"), client("bob")
    a.send("PRIVMSG bob :psst")
    m = b.expect("PRIVMSG")
    assert m.source == "alice!u@127.0.0.1" and m.params == ["bob", "psst"]


def test_privmsg_to_nick_any_case(client):
    a, b = client("alice"), client("Bob")
    a.send("PRIVMSG BOB :case")
    m = b.expect("PRIVMSG")
    # The target is the nick as its owner wrote it.
    assert m.params == ["Bob", "case"]


def test_notice_to_nick(client):
    a, b = client("alice"), client("bob")
    a.send("NOTICE bob :fyi")
    m = b.expect("NOTICE")
    assert m.nick == "alice" and m.params == ["bob", "fyi"]


def test_privmsg_text_with_spaces_and_colons(client):
    a, b = client("alice"), client("bob")
    a.send("PRIVMSG bob ::-) two  spaces : colon ")
    assert b.expect("PRIVMSG").params[1] == ":-) two  spaces : colon "


def test_privmsg_several_targets(client):
    a, b, c = trio(client, "#multi")
    d = client("dave")
    a.send("PRIVMSG #multi,dave :to all of you")
    for x in (b, c, d):
        m = x.expect("PRIVMSG")
        assert m.params[1] == "to all of you"
    assert d.lines[-1].params[0] == "dave"


def test_privmsg_several_targets_partial_failure(client):
    a, b = client("alice"), client("bob")
    a.send("PRIVMSG ghost,bob :hi")
    a.expect("401", p1="ghost")
    assert b.expect("PRIVMSG").params == ["bob", "hi"]


def test_privmsg_no_such_nick_401(client):
    a = client("alice")
    a.send("PRIVMSG nobody :hello?")
    m = a.expect("401")
    assert m.params[1] == "nobody"


def test_privmsg_no_such_channel_403(client):
    a = client("alice")
    a.send("PRIVMSG #void :hello?")
    m = a.expect("403")
    assert m.params[1] == "#void"


def test_privmsg_not_in_channel_404(client):
    """Channels are +nt by default: no messages from outside."""
    a, b = client("alice"), client("bob")
    join(a, "#closed")
    b.send("PRIVMSG #closed :let me in")
    m = b.expect("404")
    assert m.params[1] == "#closed"
    a.assert_silent(0.2)


def test_privmsg_no_recipient_411(client):
    a = client("alice")
    a.send("PRIVMSG")
    assert "PRIVMSG" in a.expect("411").params[-1]
    a.send("PRIVMSG :")
    a.expect("411")


def test_privmsg_no_text_412(client):
    a, b = client("alice"), client("bob")
    a.send("PRIVMSG bob")
    a.expect("412")
    a.send("PRIVMSG bob :")
    a.expect("412")
    b.assert_silent(0.2)


def test_privmsg_too_many_targets_407(client):
    a = client("alice")
    targets = ",".join("n%d" % i for i in range(11))
    a.send("PRIVMSG %s :spam" % targets)
    m = a.expect("407")
    assert m.params[1] == targets
    a.assert_silent(0.2)


def test_notice_never_errors(client):
    a, b = client("alice"), client("bob")
    join(b, "#closed")
    b.drain(0.05)
    for line in ("NOTICE nobody :x", "NOTICE #void :x", "NOTICE #closed :x",
                 "NOTICE", "NOTICE bob", "NOTICE bob :",
                 "NOTICE " + ",".join("n%d" % i for i in range(11)) + " :x"):
        a.send(line)
    a.assert_silent(0.3)
    b.assert_silent(0.1)
    # The connection is fine.
    a.send("PING :ok")
    a.expect("PONG")


def test_dm_seen_only_by_recipient(client):
    a, b, c = trio(client, "#shared")
    a.send("PRIVMSG bob :secret")
    assert b.expect("PRIVMSG").params == ["bob", "secret"]
    a.send("NOTICE bob :secret notice")
    assert b.expect("NOTICE").params == ["bob", "secret notice"]
    c.assert_silent(0.3)
    a.assert_silent(0.05)


def test_statusmsg_reaches_only_ops(client):
    a, b, c = trio(client, "#ops")     # alice created it: alice is op
    b.send("PRIVMSG @#ops :for the ops")
    m = a.expect("PRIVMSG")
    assert m.nick == "bob" and m.params == ["@#ops", "for the ops"]
    c.assert_silent(0.3)
    b.send("NOTICE @#ops :ops notice")
    assert a.expect("NOTICE").params == ["@#ops", "ops notice"]
    c.assert_silent(0.2)


def test_statusmsg_voice_prefix_reaches_ops(client):
    a, b, c = trio(client, "#ops")
    b.send("PRIVMSG +#ops :voiced and up")
    assert a.expect("PRIVMSG").params == ["+#ops", "voiced and up"]
    c.assert_silent(0.3)


def test_statusmsg_from_outside_is_404(client):
    a = client("alice")
    join(a, "#ops")
    b = client("bob")
    b.send("PRIVMSG @#ops :hi")
    b.expect("404")
    a.assert_silent(0.2)


def test_message_to_self(client):
    a = client("alice")
    a.send("PRIVMSG alice :note to self")
    m = a.expect("PRIVMSG")
    assert m.params == ["alice", "note to self"]
    a.assert_silent(0.2)


def test_unicode_text_relayed_intact(client):
    a, b = client("alice"), client("bob")
    text = "Привет 👋 日本語 ελληνικά \u0301e"
    a.send("PRIVMSG bob :" + text)
    assert b.expect("PRIVMSG").params[1] == text


def test_privmsg_before_registration_451(server):
    c = server.client()
    c.send("PRIVMSG someone :hi")
    c.expect("451")

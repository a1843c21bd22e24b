"""Channel commands: JOIN, PART, TOPIC, NAMES, LIST, KICK, INVITE, and
the limits on them (modern.ircdocs.horse "Channel Operations")."""
import time


def join(c, *chans):
    c.send("JOIN " + ",".join(chans))
    for ch in chans:
        c.expect("366", p1=ch)
    c.drain(0.02)


def names_of(c, chan):
    """NAMES chan -> list of entries (with prefixes) from 353 lines."""
    c.send("NAMES " + chan)
    out = []
    while True:
        m = c.expect(pred=lambda m: m.command in ("353", "366"))
        if m.command == "366":
            return out
        out.extend(m.params[-1].split())


def voice(op, chan, nick):
    """Give nick +v with MODE if MODE is there; True when it worked."""
    op.send("MODE %s +v %s" % (chan, nick))
    m = op.expect(pred=lambda m: m.command in ("MODE", "421", "482", "472"))
    return m.command == "MODE"


# -- JOIN

def test_join_creates_channel_and_creator_is_op(client):
    a = client("alice")
    a.send("JOIN #new")
    m = a.expect("JOIN")
    assert m.source.startswith("alice!") and m.params == ["#new"]
    n = a.expect("353")
    assert n.params[1:] == ["=", "#new", "@alice"]
    a.expect("366", p1="#new")
    b = client("bob")
    join(b, "#new")
    assert sorted(names_of(b, "#new")) == ["@alice", "bob"]


def test_join_seen_by_members(client):
    a = client("alice")
    b = client("bob")
    join(a, "#seen")
    b.send("JOIN #seen")
    m = a.expect("JOIN")
    assert m.nick == "bob" and m.params == ["#seen"]
    assert m.source == "bob!u@127.0.0.1"


def test_join_several_channels_with_keys(client):
    a = client("alice")
    a.send("JOIN #k1,#k2,#k3 key1,key2")
    for ch in ("#k1", "#k2", "#k3"):
        assert a.expect("JOIN").params == [ch]
        a.expect("366", p1=ch)


def test_join_twice_is_silent(client):
    a = client("alice")
    join(a, "#twice")
    a.send("JOIN #twice")
    a.assert_silent(0.2)


def test_join_sends_topic(client):
    a = client("alice")
    join(a, "#t")
    a.send("TOPIC #t :the topic")
    a.expect("TOPIC")
    b = client("bob")
    b.send("JOIN #t")
    b.expect("JOIN")
    assert b.expect("332").params[1:] == ["#t", "the topic"]
    m = b.expect("333")
    assert m.params[1] == "#t" and m.params[2].startswith("alice!")
    b.expect("353")


def test_join_0_parts_all(client):
    a = client("alice")
    b = client("bob")
    join(a, "#j1", "#j2", "#j3")
    join(b, "#j1", "#j2")
    a.send("JOIN 0")
    parts = [a.expect("PART").params[0] for _ in range(3)]
    assert sorted(parts) == ["#j1", "#j2", "#j3"]
    got = sorted(b.expect("PART", pred=lambda m: m.nick == "alice").params[0]
                 for _ in range(2))
    assert got == ["#j1", "#j2"]
    # #j3 had only alice: it is gone.
    a.send("LIST #j3")
    a.expect("321")
    m = a.expect(pred=lambda m: m.command in ("322", "323"))
    assert m.command == "323"


def test_join_without_hash_is_403(client):
    a = client("alice")
    a.send("JOIN nohash")
    assert a.expect("403").params[1] == "nohash"


def test_join_needs_param(client):
    a = client("alice")
    a.send("JOIN")
    assert a.expect("461").params[1] == "JOIN"


def test_chanlimit_405(make_server):
    s = make_server(["--chanlimit", "2"])
    a = s.client("alice")
    join(a, "#c1", "#c2")
    a.send("JOIN #c3")
    assert a.expect("405").params[1] == "#c3"
    a.send("PART #c1")
    a.expect("PART")
    join(a, "#c3")


def test_too_many_targets_join_407(client):
    a = client("alice")
    chans = ",".join("#t%d" % i for i in range(11))
    a.send("JOIN " + chans)
    m = a.expect("407")
    assert m.params[1] == chans
    a.assert_silent(0.2)
    ten = ",".join("#t%d" % i for i in range(10))
    a.send("JOIN " + ten)
    a.expect("366", p1="#t9")


def bad_name(c, name, why_part=None):
    c.send(b"JOIN " + name.encode("utf-8"))
    m = c.expect("479")
    assert m.params[1] == name
    f = c.expect("FAIL")
    assert f.params[:3] == ["JOIN", "INVALID_CHANNEL_NAME", name]
    assert f.params[-1], f
    if why_part:
        assert why_part in f.params[-1], f
    return f


def test_bad_channel_name_bel(client):
    bad_name(client("alice"), "#bell\x07ring", "control")


def test_bad_channel_name_bidi(client):
    bad_name(client("alice"), "#evil\u202etxt.exe", "bidi")


def test_bad_channel_name_mixed_script(client):
    # The first letter is CYRILLIC SMALL LETTER A.
    bad_name(client("alice"), "#\u0430dmins", "mixes scripts")


def test_bad_channel_name_too_long(client):
    a = client("alice")
    bad_name(a, "#" + "a" * 65, "too long")
    join(a, "#" + "a" * 64)


def test_bad_channel_name_zero_width(client):
    bad_name(client("alice"), "#zero\u200bwidth", "invisible")


def test_bad_channel_name_nothing_created(client):
    a = client("alice")
    bad_name(a, "#\u0430dmins")
    a.send("LIST")
    a.expect("321")
    assert a.expect(pred=lambda m: m.command in ("322", "323")).command == "323"


# -- PART

def test_part_with_reason(client):
    a = client("alice")
    b = client("bob")
    join(a, "#p")
    join(b, "#p")
    b.send("PART #p :see you later")
    m = b.expect("PART")
    assert m.params == ["#p", "see you later"]
    m = a.expect("PART")
    assert m.nick == "bob" and m.params == ["#p", "see you later"]
    assert names_of(a, "#p") == ["@alice"]


def test_part_without_reason(client):
    a = client("alice")
    b = client("bob")
    join(a, "#p")
    join(b, "#p")
    b.send("PART #p")
    assert b.expect("PART").params == ["#p"]
    assert a.expect("PART").params == ["#p"]


def test_part_no_such_channel_403(client):
    a = client("alice")
    a.send("PART #nowhere")
    assert a.expect("403").params[1] == "#nowhere"


def test_part_not_on_channel_442(client):
    a = client("alice")
    b = client("bob")
    join(a, "#p")
    b.send("PART #p")
    assert b.expect("442").params[1] == "#p"


def test_part_several(client):
    a = client("alice")
    join(a, "#p1", "#p2")
    a.send("PART #p1,#p2,#p3 :bye")
    assert a.expect("PART").params == ["#p1", "bye"]
    assert a.expect("PART").params == ["#p2", "bye"]
    a.expect("403", p1="#p3")


# -- TOPIC

def test_topic_none_331(client):
    a = client("alice")
    join(a, "#top")
    a.send("TOPIC #top")
    m = a.expect("331")
    assert m.params[1] == "#top"


def test_topic_set_and_show(client):
    a = client("alice")
    b = client("bob")
    join(a, "#top")
    join(b, "#top")
    before = int(time.time())
    a.send("TOPIC #top :Quarterly numbers, room 4")
    m = a.expect("TOPIC")
    assert m.nick == "alice" and m.params == ["#top", "Quarterly numbers, room 4"]
    m = b.expect("TOPIC")
    assert m.params == ["#top", "Quarterly numbers, room 4"]
    b.send("TOPIC #top")
    assert b.expect("332").params[1:] == ["#top", "Quarterly numbers, room 4"]
    m = b.expect("333")
    assert m.params[1] == "#top"
    assert m.params[2].startswith("alice!u@")
    assert before - 1 <= int(m.params[3]) <= time.time() + 1


def test_topic_clear(client):
    a = client("alice")
    join(a, "#top")
    a.send("TOPIC #top :something")
    a.expect("TOPIC")
    a.send("TOPIC #top :")
    m = a.expect("TOPIC")
    assert m.params == ["#top", ""]
    a.send("TOPIC #top")
    a.expect("331")


def test_topic_needs_op_with_plus_t(client):
    a = client("alice")
    b = client("bob")
    join(a, "#top")
    join(b, "#top")
    a.drain(0.05)
    b.send("TOPIC #top :mine now")
    assert b.expect("482").params[1] == "#top"
    a.assert_silent(0.1)


def test_topic_not_member_442_and_no_such_403(client):
    a = client("alice")
    b = client("bob")
    join(a, "#top")
    b.send("TOPIC #top :x")
    b.expect("442", p1="#top")
    b.send("TOPIC #nochan")
    b.expect("403", p1="#nochan")
    # A non-member may read the topic of a channel that is not secret.
    a.send("TOPIC #top :visible")
    a.expect("TOPIC")
    b.send("TOPIC #top")
    assert b.expect("332").params[-1] == "visible"


def test_topic_truncated_to_topiclen(client):
    a = client("alice")
    join(a, "#top")
    a.send("TOPIC #top :" + "x" * 450)
    m = a.expect("TOPIC")
    assert m.params[1] == "x" * 390
    a.send("TOPIC #top")
    assert a.expect("332").params[-1] == "x" * 390


def test_topic_truncation_keeps_characters_whole(client):
    """TOPICLEN counts bytes (so that a relayed TOPIC fits in a 512-byte
    line) and the cut never splits a character."""
    a = client("alice")
    join(a, "#top")
    # 200 two-byte characters: 400 bytes, over the 390 of TOPICLEN.
    a.send("TOPIC #top :" + "ж" * 200)
    assert a.expect("TOPIC").params[1] == "ж" * 195
    a.send("TOPIC #top :x" + "ж" * 200)
    assert a.expect("TOPIC").params[1] == "x" + "ж" * 194
    assert not [m for m in a.lines if "\ufffd" in m.raw]


# -- NAMES

def test_names_reply_format(client):
    a = client("alice")
    b = client("bob")
    join(a, "#nm")
    join(b, "#nm")
    a.send("NAMES #nm")
    m = a.expect("353")
    assert m.params[0] == "alice" and m.params[1] == "=" and m.params[2] == "#nm"
    assert sorted(m.params[3].split()) == ["@alice", "bob"]
    assert a.expect("366").params[1:] == ["#nm", "End of /NAMES list"]


def test_names_no_args(client):
    a = client("alice")
    join(a, "#nm")
    a.send("NAMES")
    m = a.expect("366")
    assert m.params[1] == "*"


def test_names_unknown_channel_only_366(client):
    a = client("alice")
    a.send("NAMES #ghost")
    m = a.expect(pred=lambda m: m.command in ("353", "366"))
    assert m.command == "366" and m.params[1] == "#ghost"


def test_names_several_channels(client):
    a = client("alice")
    join(a, "#n1", "#n2")
    a.send("NAMES #n1,#n2")
    a.expect("353", p2="#n1")
    a.expect("366", p1="#n1")
    a.expect("353", p2="#n2")
    a.expect("366", p1="#n2")


def test_names_multi_prefix(client):
    a = client("alice", caps=["multi-prefix"])
    b = client("bob")
    join(a, "#mp")
    join(b, "#mp")
    if voice(a, "#mp", "alice"):
        assert "@+alice" in names_of(a, "#mp")
        # Without the cap only the highest prefix is shown.
        assert "@alice" in names_of(b, "#mp")
    else:
        assert sorted(names_of(a, "#mp")) == ["@alice", "bob"]


def test_names_userhost_in_names(client):
    a = client("alice", caps=["userhost-in-names"])
    b = client("bob")
    join(b, "#uh")
    a.send("JOIN #uh")
    m = a.expect("353")
    assert sorted(m.params[-1].split()) == ["@bob!u@127.0.0.1", "alice!u@127.0.0.1"]
    # Others still get plain nicks.
    assert sorted(names_of(b, "#uh")) == ["@bob", "alice"]


def test_names_follow_every_change(client):
    """A member's NAMES is cached and extended by joins: parts, nick
    changes and status changes must all show, and long lists split into
    lines of at most 512 bytes without cutting a name."""
    a = client("alice")
    join(a, "#nc")
    others = [client("m%02d%s" % (i, "x" * 20)) for i in range(30)]
    for o in others:
        join(o, "#nc")
    a.drain(0.3)
    want = ["@alice"] + ["m%02d%s" % (i, "x" * 20) for i in range(30)]
    assert sorted(names_of(a, "#nc")) == sorted(want)
    others[3].send("PART #nc")
    others[3].expect("PART")
    others[5].send("NICK renamed")
    others[5].expect("NICK")
    a.send("MODE #nc +o m07" + "x" * 20)
    a.expect("MODE")
    late = client("late")
    join(late, "#nc")
    want.remove("m03" + "x" * 20)
    want.remove("m05" + "x" * 20)
    want.remove("m07" + "x" * 20)
    want += ["renamed", "@m07" + "x" * 20, "late"]
    a.drain(0.3)
    a.send("NAMES #nc")
    got = []
    while True:
        m = a.expect(pred=lambda m: m.command in ("353", "366"))
        if m.command == "366":
            break
        assert len(m.raw.encode()) <= 510, m.raw
        got.extend(m.params[-1].split())
    assert sorted(got) == sorted(want)
    # A non-member sees the same visible members.
    b = client("outsider")
    assert sorted(names_of(b, "#nc")) == sorted(want)


def test_no_implicit_names(client):
    a = client("alice", caps=["no-implicit-names"])
    a.send("JOIN #nin")
    a.expect("JOIN")
    got = a.drain(0.3)
    assert not [m for m in got if m.command in ("353", "366")], got
    assert names_of(a, "#nin") == ["@alice"]


# -- LIST

def list_of(c, arg=None):
    c.send("LIST" if arg is None else "LIST " + arg)
    c.expect("321")
    out = {}
    while True:
        m = c.expect(pred=lambda m: m.command in ("322", "323"))
        if m.command == "323":
            return out
        out[m.params[1]] = (int(m.params[2]), m.params[3])


def list_setup(client):
    a = client("alice")
    b = client("bob")
    join(a, "#alpha", "#beta", "#gamma")
    join(b, "#alpha", "#beta")
    a.send("TOPIC #beta :Beta topic")
    a.expect("TOPIC")
    return a, b


def test_list_all(client):
    a, b = list_setup(client)
    got = list_of(b)
    assert got == {"#alpha": (2, ""), "#beta": (2, "Beta topic"),
                   "#gamma": (1, "")}


def test_list_named_channels(client):
    a, b = list_setup(client)
    assert set(list_of(b, "#alpha,#gamma")) == {"#alpha", "#gamma"}
    assert set(list_of(b, "#ALPHA")) == {"#alpha"}
    assert list_of(b, "#nothere") == {}


def test_list_elist_users(client):
    a, b = list_setup(client)
    assert set(list_of(b, ">1")) == {"#alpha", "#beta"}
    assert set(list_of(b, "<2")) == {"#gamma"}
    assert set(list_of(b, ">0,<2")) == {"#gamma"}


def test_list_elist_creation_time(client):
    a, b = list_setup(client)
    assert set(list_of(b, "C<5")) == {"#alpha", "#beta", "#gamma"}
    assert list_of(b, "C>5") == {}


def test_list_elist_topic_time(client):
    a, b = list_setup(client)
    assert set(list_of(b, "T<5")) == {"#beta"}
    assert list_of(b, "T>5") == {}


def test_list_elist_mask_and_not_mask(client):
    a, b = list_setup(client)
    assert set(list_of(b, "#a*")) == {"#alpha"}
    assert set(list_of(b, "#?eta")) == {"#beta"}
    assert set(list_of(b, "!#a*")) == {"#beta", "#gamma"}
    # A mask combined with a user-count condition: both must hold.
    assert set(list_of(b, "#*a,>1")) == {"#alpha", "#beta"}


def test_list_bad_condition(client):
    a, b = list_setup(client)
    b.send("LIST <lots")
    f = b.expect("FAIL")
    assert f.params[:2] == ["LIST", "INVALID_PARAMS"]
    b.send("PING :alive")
    b.expect("PONG")


# -- KICK

def kick_setup(client):
    a = client("alice")
    b = client("bob")
    c = client("carol")
    for x in (a, b, c):
        join(x, "#k")
    a.drain(0.05)
    b.drain(0.05)
    return a, b, c


def test_kick_seen_by_all_and_kicked_cannot_speak(client):
    a, b, c = kick_setup(client)
    a.send("KICK #k bob :behave")
    for x in (a, b, c):
        m = x.expect("KICK")
        assert m.nick == "alice" and m.params == ["#k", "bob", "behave"]
    b.send("PRIVMSG #k :still here?")
    m = b.expect("404")
    assert m.params[1] == "#k"
    c.assert_silent(0.2)
    assert sorted(names_of(c, "#k")) == ["@alice", "carol"]


def test_kick_default_reason_is_kicker(client):
    a, b, c = kick_setup(client)
    a.send("KICK #k bob")
    assert b.expect("KICK").params == ["#k", "bob", "alice"]


def test_kick_needs_op_482(client):
    a, b, c = kick_setup(client)
    b.send("KICK #k carol :no")
    assert b.expect("482").params[1] == "#k"
    c.assert_silent(0.2)


def test_kick_target_not_in_channel_441(client):
    a, b, c = kick_setup(client)
    d = client("dave")
    a.send("KICK #k dave")
    m = a.expect("441")
    assert m.params[1:3] == ["dave", "#k"]
    a.send("KICK #k nobody")
    a.expect("401", p1="nobody")


def test_kick_kicker_not_in_channel_442(client):
    a, b, c = kick_setup(client)
    d = client("dave")
    d.send("KICK #k bob")
    assert d.expect("442").params[1] == "#k"
    d.send("KICK #nochan bob")
    d.expect("403", p1="#nochan")


def test_kick_self_and_last_member(client):
    a = client("alice")
    join(a, "#solo")
    a.send("KICK #solo alice :self")
    a.expect("KICK")
    a.send("LIST #solo")
    a.expect("321")
    assert a.expect(pred=lambda m: m.command in ("322", "323")).command == "323"


def test_kick_several(client):
    a, b, c = kick_setup(client)
    a.send("KICK #k bob,carol :both")
    assert a.expect("KICK").params[1] == "bob"
    assert a.expect("KICK").params[1] == "carol"
    assert names_of(a, "#k") == ["@alice"]


# -- INVITE

def test_invite(client):
    a = client("alice")
    b = client("bob")
    notified = client("carol", caps=["invite-notify"])
    plain = client("dave")
    join(a, "#inv")
    join(notified, "#inv")
    join(plain, "#inv")
    a.drain(0.05)
    a.send("INVITE bob #inv")
    m = a.expect("341")
    assert m.params == ["alice", "bob", "#inv"]
    m = b.expect("INVITE")
    assert m.nick == "alice" and m.params == ["bob", "#inv"]
    m = notified.expect("INVITE")
    assert m.nick == "alice" and m.params == ["bob", "#inv"]
    plain.assert_silent(0.2)
    # The inviter is not told twice.
    assert not [x for x in a.drain(0.1) if x.command == "INVITE"]


def test_invite_list(client):
    a = client("alice")
    b = client("bob")
    join(a, "#il1", "#il2")
    a.send("INVITE bob #il1")
    a.expect("341")
    a.send("INVITE bob #il2")
    a.expect("341")
    b.send("INVITE")
    chans = []
    while True:
        m = b.expect(pred=lambda m: m.command in ("336", "337"))
        if m.command == "337":
            break
        chans.append(m.params[1])
    assert sorted(chans) == ["#il1", "#il2"]
    # Joining uses the invite up.
    join(b, "#il1")
    b.send("INVITE")
    m = b.expect("336")
    assert m.params[1] == "#il2"
    b.expect("337")


def test_invite_user_on_channel_443(client):
    a = client("alice")
    b = client("bob")
    join(a, "#inv")
    join(b, "#inv")
    a.send("INVITE bob #inv")
    m = a.expect("443")
    assert m.params[1:3] == ["bob", "#inv"]


def test_invite_no_such_nick_401(client):
    a = client("alice")
    join(a, "#inv")
    a.send("INVITE ghost #inv")
    a.expect("401", p1="ghost")


def test_invite_not_on_channel_442(client):
    a = client("alice")
    b = client("bob")
    c = client("carol")
    join(a, "#inv")
    c.send("INVITE bob #inv")
    c.expect("442", p1="#inv")
    b.assert_silent(0.2)


def test_invite_no_such_channel_403(client):
    a = client("alice")
    client("bob")
    a.send("INVITE bob #nowhere")
    a.expect("403", p1="#nowhere")


def test_invite_one_param_461(client):
    a = client("alice")
    a.send("INVITE bob")
    a.expect("461", p1="INVITE")

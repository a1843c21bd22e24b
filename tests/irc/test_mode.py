"""MODE over the wire: user modes, channel modes, lists, the numerics of
every refusal, and what each mode does to JOIN, PRIVMSG, TOPIC, INVITE,
LIST and NAMES (RFC 2812 3.1.5 and 3.2.3, modern.ircdocs.horse "MODE")."""
import itertools
import time

HOST = "127.0.0.1"
_tok = itertools.count()


def prefix(nick):
    return "%s!u@%s" % (nick, HOST)


def rt(c, line=None):
    """Send line (if any), then a PING; return every line that came
    before the PONG.  Everything the command caused is in there."""
    tok = "rt%d" % next(_tok)
    if line is not None:
        c.send(line)
    c.send("PING :" + tok)
    out = list(c.pending)
    c.pending = []
    while True:
        m = c.recv()
        assert m is not None, "no PONG; got %r" % out
        if m.command == "PONG" and m.params[-1] == tok:
            return out
        out.append(m)


def cmds(lines, command):
    return [m for m in lines if m.command == command]


def only(lines, command):
    got = cmds(lines, command)
    assert len(got) == 1, "want one %s in %r" % (command, lines)
    return got[0]


def lusers(client, numeric):
    """The LUSERS line `numeric` that a new client gets on registering
    (the burst has it, whatever the LUSERS command does)."""
    probe = client("probe%d" % next(_tok))
    lines = [m for m in probe.lines if m.command == numeric]
    probe.close()
    assert len(lines) == 1, lines
    return lines[0]


def channel(client, name, *nicks, caps=()):
    """Register nicks; the first creates name (and is its op), the others
    join.  Returns the clients, drained."""
    cs = [client(n, caps=caps) for n in nicks]
    for c in cs:
        c.send("JOIN " + name)
        c.expect("366")
    for c in cs:
        rt(c)
    return cs


# -- user modes ------------------------------------------------------------

def test_user_mode_query(client):
    a = client("alice")
    m = only(rt(a, "MODE alice"), "221")
    assert m.params == ["alice", "+"]


def test_user_mode_invisible(client):
    a = client("alice")
    b = client("bob")
    assert " 0 invisible" in lusers(client, "251").params[1]
    got = rt(a, "MODE alice +i")
    m = only(got, "MODE")
    assert m.source == prefix("alice")
    assert m.params == ["alice", "+i"]
    assert only(rt(a, "MODE alice"), "221").params[1] == "+i"
    assert " 1 invisible" in lusers(client, "251").params[1]
    # Already set: nothing to tell.
    assert rt(a, "MODE alice +i") == []
    m = only(rt(a, "MODE alice -i"), "MODE")
    assert m.params == ["alice", "-i"]
    assert " 0 invisible" in lusers(client, "251").params[1]
    # The nick in any case.
    m = only(rt(a, "MODE ALICE +i"), "MODE")
    assert m.params == ["alice", "+i"]
    # Others are not told.
    assert cmds(rt(b), "MODE") == []


def test_user_mode_invisible_counter_on_quit(client):
    a = client("alice")
    b = client("bob")
    rt(a, "MODE alice +i")
    a.send("QUIT")
    a.wait_closed()
    rt(b)
    assert " 0 invisible" in lusers(client, "251").params[1]


def test_user_mode_bot_and_several(client):
    a = client("alice")
    m = only(rt(a, "MODE alice +iB"), "MODE")
    assert m.params == ["alice", "+Bi"]
    assert only(rt(a, "MODE alice"), "221").params[1] == "+Bi"
    m = only(rt(a, "MODE alice -B+i"), "MODE")
    assert m.params == ["alice", "-B"]
    m = only(rt(a, "MODE alice +B-i"), "MODE")
    assert m.params == ["alice", "+B-i"]


def test_user_mode_oper_cannot_be_set(client):
    a = client("alice")
    b = client("bob")
    assert rt(a, "MODE alice +o") == []
    assert only(rt(a, "MODE alice"), "221").params[1] == "+"
    assert lusers(client, "252").params[1] == "0"
    # -o of a mode not held changes nothing.
    assert rt(a, "MODE alice -o") == []
    m = only(rt(a, "MODE alice +oi"), "MODE")
    assert m.params == ["alice", "+i"]


def test_user_mode_secure_is_the_servers(server, client):
    a = client("alice")
    assert rt(a, "MODE alice +Z") == []
    assert only(rt(a, "MODE alice"), "221").params[1] == "+"
    t = server.client("tlsuser", tls=True)
    try:
        assert only(rt(t, "MODE tlsuser"), "221").params[1] == "+Z"
        assert rt(t, "MODE tlsuser -Z") == []
        assert only(rt(t, "MODE tlsuser"), "221").params[1] == "+Z"
        m = only(rt(t, "MODE tlsuser +i-Z"), "MODE")
        assert m.params == ["tlsuser", "+i"]
    finally:
        t.close()


def test_user_mode_unknown_flag(client):
    a = client("alice")
    got = rt(a, "MODE alice +x")
    assert only(got, "501").params[0] == "alice"
    assert cmds(got, "MODE") == []
    # Known letters still apply; one 501 for any number of unknowns.
    got = rt(a, "MODE alice +xiyw")
    assert len(cmds(got, "501")) == 1
    assert only(got, "MODE").params == ["alice", "+i"]


def test_user_mode_other_user(client):
    a = client("alice")
    client("bob")
    assert only(rt(a, "MODE bob"), "502").params[0] == "alice"
    assert only(rt(a, "MODE bob +i"), "502")
    assert only(rt(a, "MODE nobody"), "401").params[1] == "nobody"
    assert only(rt(a, "MODE nobody +i"), "401")


# -- channel modes: queries -------------------------------------------------

def test_channel_mode_query(client):
    a, b = channel(client, "#c", "alice", "bob")
    got = rt(b, "MODE #c")
    assert only(got, "324").params == ["bob", "#c", "+nt"]
    created = int(only(got, "329").params[2])
    assert abs(created - time.time()) < 60
    assert only(got, "329").params[1] == "#c"
    # The name in another case finds the channel, reported as created.
    assert only(rt(b, "MODE #C"), "324").params[1] == "#c"


def test_channel_mode_query_key_limit_members_only(client):
    a, b = channel(client, "#c", "alice", "bob")
    out = client("carol")
    rt(a, "MODE #c +kl sesame 10")
    assert only(rt(b, "MODE #c"), "324").params[2:] == ["+klnt", "sesame",
                                                         "10"]
    assert only(rt(out, "MODE #c"), "324").params[2:] == ["+klnt"]


def test_channel_mode_no_such_channel(client):
    a = client("alice")
    assert only(rt(a, "MODE #nope"), "403").params[1] == "#nope"
    assert only(rt(a, "MODE #nope +i"), "403")
    # A target with a space cannot break the numeric.
    m = only(rt(a, "MODE :#a b"), "403")
    assert m.params[1] == "*"


def test_channel_mode_secret_hidden(client):
    a, b = channel(client, "#sec", "alice", "bob")
    out = client("carol")
    m = only(rt(a, "MODE #sec +s"), "MODE")
    assert m.params == ["#sec", "+s"]
    assert only(rt(out, "MODE #sec"), "403")
    assert only(rt(out, "MODE #sec b"), "403")
    assert only(rt(out, "MODE #sec +i"), "403")
    assert only(rt(b, "MODE #sec"), "324").params[2] == "+nst"


def test_channel_secret_list_and_names(client):
    a, b = channel(client, "#sec", "alice", "bob")
    out = client("carol")
    rt(a, "MODE #sec +s")
    got = rt(out, "LIST")
    assert [m for m in cmds(got, "322") if m.params[1] == "#sec"] == []
    got = rt(b, "LIST")
    assert [m for m in cmds(got, "322") if m.params[1] == "#sec"]
    got = rt(out, "NAMES #sec")
    assert cmds(got, "353") == []
    assert only(got, "366")
    got = rt(b, "NAMES #sec")
    assert only(got, "353").params[1] == "@"
    rt(a, "MODE #sec -s")
    got = rt(out, "LIST")
    assert [m for m in cmds(got, "322") if m.params[1] == "#sec"]
    assert only(rt(out, "NAMES #sec"), "353").params[1] == "="


# -- channel modes: rights --------------------------------------------------

def test_channel_mode_needs_op(client):
    a, b = channel(client, "#c", "alice", "bob")
    out = client("carol")
    got = rt(b, "MODE #c +i")
    assert only(got, "482").params[1] == "#c"
    assert cmds(got, "MODE") == []
    # One 482 for a whole command, and nothing changed.
    got = rt(b, "MODE #c +imo-t bob")
    assert len(cmds(got, "482")) == 1
    assert only(rt(b, "MODE #c"), "324").params[2] == "+nt"
    got = rt(out, "MODE #c +i")
    assert only(got, "442").params[1] == "#c"
    assert cmds(rt(a), "MODE") == []
    # Anyone who can see the channel may look at it and its bans.
    assert only(rt(out, "MODE #c"), "324")
    assert only(rt(out, "MODE #c b"), "368")
    # The exception and invite lists are for operators.
    assert only(rt(b, "MODE #c e"), "482")
    assert only(rt(b, "MODE #c I"), "482")
    assert only(rt(out, "MODE #c e"), "442")
    assert only(rt(a, "MODE #c e"), "349")


def test_channel_mode_op_gives_rights(client):
    a, b = channel(client, "#c", "alice", "bob")
    rt(a, "MODE #c +o bob")
    rt(b)
    m = only(rt(b, "MODE #c +m"), "MODE")
    assert m.source == prefix("bob")
    assert only(rt(a), "MODE").source == prefix("bob")
    # An op can drop its own status, and then has none.
    m = only(rt(a, "MODE #c -o alice"), "MODE")
    assert m.params == ["#c", "-o", "alice"]
    assert only(rt(a, "MODE #c +i"), "482")


# -- channel modes: the broadcast --------------------------------------------

def test_channel_mode_broadcast(client):
    a, b, c = channel(client, "#c", "alice", "bob", "carol")
    rt(a, "MODE #c +v carol")
    for x in (a, b, c):
        rt(x)
    want = ":%s MODE #c +o-v bob carol" % prefix("alice")
    got = rt(a, "MODE #c +o-v bob carol")
    assert only(got, "MODE").raw == want
    for x in (b, c):
        assert only(rt(x), "MODE").raw == want
    # The nick as the target spells it, not as the setter typed it.
    got = rt(a, "MODE #c -o+v BOB bob")
    assert only(got, "MODE").raw == ":%s MODE #c -o+v bob bob" % \
        prefix("alice")


def test_channel_mode_not_echoed_when_unchanged(client):
    a, b = channel(client, "#c", "alice", "bob")
    assert rt(a, "MODE #c +nt") == []
    assert rt(a, "MODE #c +o alice") == []
    assert rt(a, "MODE #c -v bob") == []
    assert rt(a, "MODE #c -l") == []
    assert rt(a, "MODE #c -k x") == []
    assert rt(a, "MODE #c -b nobody") == []
    assert cmds(rt(b), "MODE") == []
    # Only what changed is in the line.
    m = only(rt(a, "MODE #c +tim"), "MODE")
    assert m.params == ["#c", "+im"]
    assert only(rt(b), "MODE").params == ["#c", "+im"]


def test_channel_mode_flags(client):
    a, b = channel(client, "#c", "alice", "bob")
    m = only(rt(a, "MODE #c +imnst"), "MODE")
    assert m.params == ["#c", "+ims"]
    assert only(rt(a, "MODE #c"), "324").params[2] == "+imnst"
    m = only(rt(a, "MODE #c -imnst"), "MODE")
    assert m.params == ["#c", "-imnst"]
    assert only(rt(a, "MODE #c"), "324").params[2] == "+"
    # Repeated signs: the last one counts; no sign means '+'.
    assert only(rt(a, "MODE #c ++-+i"), "MODE").params == ["#c", "+i"]
    assert only(rt(a, "MODE #c -+-i"), "MODE").params == ["#c", "-i"]
    assert only(rt(a, "MODE #c t"), "MODE").params == ["#c", "+t"]


def test_channel_mode_unknown(client):
    a, b = channel(client, "#c", "alice", "bob")
    got = rt(a, "MODE #c +xyx")
    unknown = cmds(got, "472")
    assert [m.params[1] for m in unknown] == ["x", "y"]
    assert cmds(got, "MODE") == []
    got = rt(a, "MODE #c +Xi")
    assert only(got, "472").params[1] == "X"
    assert only(got, "MODE").params == ["#c", "+i"]
    # Non-ASCII letters are reported whole.
    got = rt(a, "MODE #c +\u00e9")
    assert only(got, "472").params[1] == "\u00e9"
    # A space in a trailing mode string does not break the numeric.
    got = rt(a, "MODE #c :+m x")
    assert only(got, "472").params[1] == "x"
    assert only(got, "MODE").params == ["#c", "+m"]


# -- o and v ----------------------------------------------------------------

def test_channel_mode_op_voice_errors(client):
    a, b = channel(client, "#c", "alice", "bob")
    client("dave")
    got = rt(a, "MODE #c +o nobody")
    assert only(got, "401").params[1] == "nobody"
    got = rt(a, "MODE #c +v dave")
    assert only(got, "441").params[1:3] == ["dave", "#c"]
    got = rt(a, "MODE #c +o")
    m = only(got, "696")
    assert m.params[1:4] == ["#c", "o", "*"]
    # The valid ones still go through.
    got = rt(a, "MODE #c +vvv nobody dave bob")
    assert only(got, "401") and only(got, "441")
    assert only(got, "MODE").params == ["#c", "+v", "bob"]


def test_channel_mode_multi_prefix_names(client):
    a, b = channel(client, "#c", "alice", "bob")
    mp = client("carol", caps=["multi-prefix"])
    mp.send("JOIN #c")
    mp.expect("366")
    rt(mp)
    rt(a, "MODE #c +ov bob bob")
    names = only(rt(mp, "NAMES #c"), "353").params[3].split()
    assert "@+bob" in names
    assert "@alice" in names
    names = only(rt(a, "NAMES #c"), "353").params[3].split()
    assert "@bob" in names
    rt(a, "MODE #c -o bob")
    names = only(rt(mp, "NAMES #c"), "353").params[3].split()
    assert "+bob" in names


# -- what the modes do -------------------------------------------------------

def test_invite_only(client):
    a, b = channel(client, "#c", "alice", "bob")
    c = client("carol")
    rt(a, "MODE #c +i")
    assert only(rt(c, "JOIN #c"), "473").params[1] == "#c"
    # A member without +o may not invite to a +i channel.
    assert only(rt(b, "INVITE carol #c"), "482")
    assert only(rt(a, "INVITE carol #c"), "341")
    c.expect("INVITE")
    got = rt(c, "JOIN #c")
    assert cmds(got, "JOIN")
    # Once in and out again, the invite is used up.
    rt(c, "PART #c")
    assert only(rt(c, "JOIN #c"), "473")
    # +I lets a mask in without an invite.
    rt(a, "MODE #c +I carol")
    assert cmds(rt(c, "JOIN #c"), "JOIN")


def test_key(client):
    a, b = channel(client, "#c", "alice", "bob")
    c = client("carol")
    m = only(rt(a, "MODE #c +k sesame"), "MODE")
    assert m.params == ["#c", "+k", "sesame"]
    assert only(rt(b), "MODE").params == ["#c", "+k", "sesame"]
    assert only(rt(c, "JOIN #c"), "475").params[1] == "#c"
    assert only(rt(c, "JOIN #c wrong"), "475")
    assert cmds(rt(c, "JOIN #c sesame"), "JOIN")
    # Same key again: nothing; another key replaces it.
    rt(a)
    assert rt(a, "MODE #c +k sesame") == []
    assert only(rt(a, "MODE #c +k other"), "MODE").params[2] == "other"
    # -k takes any parameter and is told as "*".
    m = only(rt(a, "MODE #c -k whatever"), "MODE")
    assert m.params == ["#c", "-k", "*"]
    rt(c, "PART #c")
    assert cmds(rt(c, "JOIN #c"), "JOIN")


def test_key_minus_without_parameter(client):
    a, = channel(client, "#c", "alice")
    rt(a, "MODE #c +k sesame")
    m = only(rt(a, "MODE #c -k"), "MODE")
    assert m.params == ["#c", "-k", "*"]


def test_key_invalid(client):
    a, b = channel(client, "#c", "alice", "bob")
    m = only(rt(a, "MODE #c +k"), "696")
    assert m.params[1:4] == ["#c", "k", "*"]
    assert only(rt(a, "MODE #c +k a,b"), "525").params[1] == "#c"
    assert only(rt(a, "MODE #c +k :a b"), "525")
    assert only(rt(a, "MODE #c +k ::ab"), "525")
    assert only(rt(a, "MODE #c +k " + "k" * 33), "525")
    assert cmds(rt(b), "MODE") == []
    m = only(rt(a, "MODE #c +k " + "k" * 32), "MODE")
    assert m.params[2] == "k" * 32


def test_limit(client):
    a, b = channel(client, "#c", "alice", "bob")
    c = client("carol")
    m = only(rt(a, "MODE #c +l 010"), "MODE")
    assert m.params == ["#c", "+l", "10"]
    assert rt(a, "MODE #c +l 10") == []
    rt(b)
    m = only(rt(a, "MODE #c +l 2"), "MODE")
    assert m.params == ["#c", "+l", "2"]
    assert only(rt(b), "MODE").params == ["#c", "+l", "2"]
    assert only(rt(c, "JOIN #c"), "471").params[1] == "#c"
    # -l takes no parameter: the next letter gets it.
    m = only(rt(a, "MODE #c -l+v bob"), "MODE")
    assert m.params == ["#c", "-l+v", "bob"]
    assert cmds(rt(c, "JOIN #c"), "JOIN")


def test_limit_invalid(client):
    a, b = channel(client, "#c", "alice", "bob")
    m = only(rt(a, "MODE #c +l abc"), "696")
    assert m.params[1:4] == ["#c", "l", "abc"]
    assert only(rt(a, "MODE #c +l 0"), "696")
    assert only(rt(a, "MODE #c +l -5"), "696")
    assert only(rt(a, "MODE #c +l 99999999999999999999"), "696")
    m = only(rt(a, "MODE #c +l"), "696")
    assert m.params[1:4] == ["#c", "l", "*"]
    m = only(rt(a, "MODE #c +l :1 2"), "696")
    assert m.params[3] == "*"
    assert cmds(rt(b), "MODE") == []


def test_ban_and_exception(client):
    a, b = channel(client, "#c", "alice", "bob")
    c = client("carol")
    m = only(rt(a, "MODE #c +b carol"), "MODE")
    assert m.params == ["#c", "+b", "carol!*@*"]
    assert only(rt(b), "MODE").params == ["#c", "+b", "carol!*@*"]
    assert only(rt(c, "JOIN #c"), "474").params[1] == "#c"
    # Also by user@host and in another case.
    rt(a, "MODE #c -b CAROL")
    assert cmds(rt(c, "JOIN #c"), "JOIN")
    rt(c, "PART #c")
    m = only(rt(a, "MODE #c +b u@" + HOST), "MODE")
    assert m.params[2] == "*!u@" + HOST
    assert only(rt(c, "JOIN #c"), "474")
    m = only(rt(a, "MODE #c +e carol!*@*"), "MODE")
    assert m.params == ["#c", "+e", "carol!*@*"]
    assert cmds(rt(c, "JOIN #c"), "JOIN")


def test_ban_stops_speech_until_voiced(client):
    a, b = channel(client, "#c", "alice", "bob")
    rt(a, "MODE #c +b bob")
    assert only(rt(b, "PRIVMSG #c :hi"), "404")
    rt(a, "MODE #c +v bob")
    assert cmds(rt(b, "PRIVMSG #c :hi"), "404") == []


def test_list_queries(client):
    a, b = channel(client, "#c", "alice", "bob")
    rt(a, "MODE #c +bbe x y!*@* z@h")
    rt(a, "MODE #c +I inv")
    for q in ("MODE #c b", "MODE #c +b", "MODE #c -b"):
        got = rt(b, q)
        bans = cmds(got, "367")
        assert [m.params[2] for m in bans] == ["x!*@*", "y!*@*"]
        assert bans[0].params[1] == "#c"
        assert bans[0].params[3] == prefix("alice")
        assert abs(int(bans[0].params[4]) - time.time()) < 60
        assert only(got, "368").params[1] == "#c"
    got = rt(a, "MODE #c e")
    assert [m.params[2] for m in cmds(got, "348")] == ["*!z@h"]
    assert only(got, "349")
    got = rt(a, "MODE #c I")
    assert [m.params[2] for m in cmds(got, "346")] == ["inv!*@*"]
    assert only(got, "347")
    # One answer per list, however often it is asked for.
    got = rt(a, "MODE #c bbb")
    assert len(cmds(got, "368")) == 1
    # A query and a change in one command.
    got = rt(a, "MODE #c b+i")
    assert only(got, "368") and only(got, "MODE").params == ["#c", "+i"]


def test_list_masks(client):
    a, = channel(client, "#c", "alice")
    m = only(rt(a, "MODE #c +b n!u"), "MODE")
    assert m.params[2] == "n!u@*"
    m = only(rt(a, "MODE #c +b $a:somebody"), "MODE")
    assert m.params[2] == "$a:somebody"
    assert rt(a, "MODE #c +b n!u@*") == []      # already there
    assert only(rt(a, "MODE #c +b $x:foo"), "696").params[1:4] == \
        ["#c", "b", "$x:foo"]
    # Masks that would break a line are refused.
    assert only(rt(a, "MODE #c +b :a b"), "696").params[3] == "*"
    assert only(rt(a, "MODE #c +b ::x"), "696").params[3] == "*"
    got = rt(a, "MODE #c -b n!u@*")
    assert only(got, "MODE").params == ["#c", "-b", "n!u@*"]
    assert rt(a, "MODE #c -b n!u@*") == []


def test_list_full(make_server):
    s = make_server(["--max-list", "2"])
    a = s.client("alice")
    try:
        a.send("JOIN #c")
        a.expect("366")
        rt(a)
        got = rt(a, "MODE #c +bbb one two three")
        m = only(got, "478")
        assert m.params[1:3] == ["#c", "b"]
        assert only(got, "MODE").params == ["#c", "+bb", "one!*@*",
                                            "two!*@*"]
        # Each list has its own room.
        assert only(rt(a, "MODE #c +e three"), "MODE")
    finally:
        a.close()


def test_modes_per_line(client):
    a, b = channel(client, "#c", "alice", "bob")
    masks = ["m%d" % i for i in range(8)]
    got = rt(a, "MODE #c +bbbbbbbb " + " ".join(masks))
    m = only(got, "MODE")
    assert m.params[1] == "+bbbbbb"
    assert m.params[2:] == [x + "!*@*" for x in masks[:6]]
    # Flags do not count against MODES=6.
    got = rt(a, "MODE #c +iooooooom " + " ".join(["bob"] * 7))
    m = only(got, "MODE")
    assert m.params[1] == "+iom"


def test_long_mode_line_split(client):
    a, b = channel(client, "#c", "alice", "bob")
    # A client line holds 512 bytes; "x" becomes "x!*@*" and the source
    # is added, so six masks of 78 bytes fit in but not out.
    masks = ["%s%d" % ("x" * 77, i) for i in range(6)]
    line = "MODE #c +bbbbbb " + " ".join(masks)
    assert len(line) <= 510
    got = rt(a, line)
    lines = cmds(got, "MODE")
    assert len(lines) > 1
    seen = []
    for m in lines:
        assert len(m.raw.encode()) <= 510
        seen += m.params[2:]
    assert seen == [x + "!*@*" for x in masks]
    assert len(cmds(rt(b), "MODE")) == len(lines)


def test_moderated(client):
    a, b = channel(client, "#c", "alice", "bob")
    rt(a, "MODE #c +m")
    m = only(rt(b, "PRIVMSG #c :hello"), "404")
    assert m.params[1] == "#c"
    assert cmds(rt(a), "PRIVMSG") == []
    # Ops speak; voice lets bob speak.
    assert cmds(rt(a, "PRIVMSG #c :ops may"), "404") == []
    rt(a, "MODE #c +v bob")
    assert cmds(rt(b, "PRIVMSG #c :now I may"), "404") == []
    assert only(rt(a), "PRIVMSG").params == ["#c", "now I may"]
    rt(a, "MODE #c -v bob")
    assert only(rt(b, "PRIVMSG #c :again"), "404")


def test_no_external(client):
    a, = channel(client, "#c", "alice")
    out = client("carol")
    assert only(rt(out, "PRIVMSG #c :from outside"), "404")
    m = only(rt(a, "MODE #c -n"), "MODE")
    assert m.params == ["#c", "-n"]
    assert cmds(rt(out, "PRIVMSG #c :from outside"), "404") == []
    assert only(rt(a), "PRIVMSG").params[1] == "from outside"
    rt(a, "MODE #c +n")
    assert only(rt(out, "PRIVMSG #c :again"), "404")


def test_topic_lock(client):
    a, b = channel(client, "#c", "alice", "bob")
    assert only(rt(b, "TOPIC #c :mine"), "482").params[1] == "#c"
    m = only(rt(a, "MODE #c -t"), "MODE")
    assert m.params == ["#c", "-t"]
    assert only(rt(b, "TOPIC #c :mine"), "TOPIC").params == ["#c", "mine"]
    rt(a, "MODE #c +t")
    assert only(rt(b, "TOPIC #c :again"), "482")


# -- the line stays well-formed, and labeled-response ------------------------

def test_params_with_spaces_or_colons(client):
    a, b = channel(client, "#c", "alice", "bob")
    rt(a, "MODE #c +k sesame")
    rt(b)
    # -k with a trailing parameter that holds a space.
    got = rt(a, "MODE #c -k :a b c")
    assert only(got, "MODE").raw == ":%s MODE #c -k *" % prefix("alice")
    assert only(rt(b), "MODE").params == ["#c", "-k", "*"]
    got = rt(a, "MODE #c +o :bob x")
    assert only(got, "401").params[1] == "*"


def test_labeled_response(client):
    caps = ["labeled-response", "batch"]
    a = client("alice", caps=caps)
    a.send("JOIN #c")
    a.expect("366")
    rt(a)
    # One line: the echo carries the label.
    got = rt(a, "@label=one MODE #c +i")
    m = only(got, "MODE")
    assert m.tags.get("label") == "one"
    # Nothing to say: an ACK.
    got = rt(a, "@label=two MODE #c +i")
    assert only(got, "ACK").tags.get("label") == "two"
    # Several lines: one batch with the numerics and the echo.
    got = rt(a, "@label=three MODE #c +xm")
    start = [m for m in got if m.command == "BATCH"
             and m.params[0].startswith("+")]
    assert len(start) == 1 and start[0].tags.get("label") == "three"
    ref = start[0].params[0][1:]
    inner = [m for m in got if m.tags.get("batch") == ref]
    assert {m.command for m in inner} == {"472", "MODE"}
    # A user mode change too.
    got = rt(a, "@label=four MODE alice +i")
    assert only(got, "MODE").tags.get("label") == "four"

"""Registered channels: a channel made by a logged-in user keeps its topic,
modes, lists and operators (by account) when it is empty and across
restarts; an operator by account gets @ back on JOIN (announced by a MODE
from the server); anonymous users' channels stay ordinary."""
import base64

PASSWORDS = {"alice": "alice-pass-1", "bob": "bob-pass-22",
             "carol": "carol-pass-333", "dave": "dave-pass-4444"}


def register(s, nick):
    """A new client that makes the account `nick` and is logged in."""
    c = s.client(nick)
    c.send("REGISTER %s * %s" % (nick, PASSWORDS[nick]))
    m = c.expect("REGISTER")
    assert m.params[0] == "SUCCESS", m
    c.expect("900")
    c.drain(0.05)
    return c


def login(s, nick, account=None):
    """A new client logged in to `account` (default: nick) with SASL."""
    account = account or nick
    c = s.client()
    c.nick = nick
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl multi-prefix")
    c.send("NICK " + nick)
    c.send("USER u 0 * :Real Name")
    ack = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert ack.params[1] == "ACK", ack
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    blob = ("\0%s\0%s" % (account, PASSWORDS[account])).encode()
    c.send("AUTHENTICATE " + base64.b64encode(blob).decode())
    c.expect("903")
    c.send("CAP END")
    c.expect("001")
    c.expect(pred=lambda m: m.command in ("376", "422"))
    c.drain(0.05)
    return c


def join(c, chan, key=None):
    """JOIN (unless the login already did) and wait for the end of NAMES;
    return the nicks in NAMES."""
    at = c.joined(chan)
    if at is not None:
        c.drain(0.2)
        c.replay_since(at)
    else:
        c.send("JOIN %s%s" % (chan, " " + key if key else ""))
        c.expect("JOIN", pred=lambda m: m.nick == c.nick)
    names = []
    while True:
        m = c.expect(pred=lambda m: m.command in ("353", "366"))
        if m.command == "366":
            return names
        names += m.params[-1].split()


def mode(c, chan, *args):
    c.send("MODE %s %s" % (chan, " ".join(args)))
    return c.expect("MODE", pred=lambda m: m.params[0] == chan)


def listed(c):
    c.send("LIST")
    out = {}
    while True:
        m = c.expect(pred=lambda m: m.command in ("322", "323"))
        if m.command == "323":
            return out
        out[m.params[1]] = (int(m.params[2]), m.params[3])


def test_registered_channel_survives_restart(make_server):
    s = make_server()
    alice = register(s, "alice")
    bob = register(s, "bob")
    assert "@alice" in join(alice, "#reg")
    join(bob, "#reg")
    mode(alice, "#reg", "+o", "bob")
    alice.send("TOPIC #reg :kept across restarts")
    alice.expect("TOPIC")
    mode(alice, "#reg", "+kl", "sekrit", "10")
    mode(alice, "#reg", "+i")
    mode(alice, "#reg", "+b", "evil!*@*")
    mode(alice, "#reg", "+e", "good!*@*")
    mode(alice, "#reg", "+I", "friend!*@*")
    s.restart()

    anon = s.client("anon")
    assert listed(anon) == {"#reg": (0, "kept across restarts")}
    anon.send("TOPIC #reg")
    assert anon.expect("332").params[2] == "kept across restarts"
    assert anon.expect("333").params[2].startswith("alice!")
    anon.send("MODE #reg")
    assert anon.expect("324").params[2] == "+iklnt"    # no key shown
    anon.send("MODE #reg b")
    ban = anon.expect("367")
    assert ban.params[2] == "evil!*@*" and ban.params[3].startswith("alice!")
    anon.expect("368")
    # An empty registered channel still wants its key and its invite.
    anon.send("JOIN #reg")
    anon.expect("475")
    anon.send("JOIN #reg wrong")
    anon.expect("475")
    anon.send("JOIN #reg sekrit")
    anon.expect("473")

    # The founder is an operator by account: she gets in (an operator
    # passes the key and +i) and gets @, told by the server.
    alice = login(s, "alice")
    assert "@alice" in join(alice, "#reg")
    m = alice.expect("MODE")
    assert m.source == "test.lanchat" and m.params == ["#reg", "+o", "alice"]
    alice.send("MODE #reg")
    mode_is = alice.expect("324")
    assert mode_is.params[2:] == ["+iklnt", "sekrit", "10"]
    alice.send("MODE #reg e")
    assert alice.expect("348").params[2] == "good!*@*"
    alice.send("MODE #reg I")
    assert alice.expect("346").params[2] == "friend!*@*"

    # bob was made an operator while logged in: so he is again.
    bob = login(s, "bob")
    assert "@bob" in join(bob, "#reg")
    seen = alice.expect("MODE")
    assert seen.source == "test.lanchat" and seen.params == ["#reg", "+o",
                                                             "bob"]

    # An anonymous user, invited and with the key, gets in without @.
    alice.send("INVITE anon #reg")
    anon.expect("INVITE")
    names = join(anon, "#reg", "sekrit")
    assert "anon" in names and "@anon" not in names
    assert not [m for m in anon.drain(0.3) if m.command == "MODE"]


def test_anonymous_channel_is_not_registered(make_server):
    s = make_server()
    anon = s.client("anon")
    join(anon, "#plain")
    anon.send("TOPIC #plain :gone soon")
    anon.expect("TOPIC")
    mode(anon, "#plain", "+k", "key")
    s.restart()
    other = s.client("other")
    assert listed(other) == {}
    assert "@other" in join(other, "#plain")    # a new channel
    other.send("TOPIC #plain")
    other.expect("331")


def test_empty_registered_channel_stays(make_server):
    s = make_server()
    alice = register(s, "alice")
    join(alice, "#stay")
    alice.send("TOPIC #stay :still here")
    alice.expect("TOPIC")
    alice.send("PART #stay")
    alice.expect("PART")
    anon = s.client("anon")
    assert listed(anon) == {"#stay": (0, "still here")}
    # Not a new channel: the first to come in gets no @.
    names = join(anon, "#stay")
    assert names == ["anon"]
    anon.send("TOPIC #stay :mine")
    anon.expect("482")
    # The founder, still logged in, gets @ back; everyone sees it.
    names = join(alice, "#stay")
    assert "@alice" in names
    m = anon.expect("MODE")
    assert m.source == "test.lanchat" and m.params == ["#stay", "+o",
                                                       "alice"]


def test_status_changes_follow_the_account(make_server):
    s = make_server()
    alice = register(s, "alice")
    bob = register(s, "bob")
    carol = register(s, "carol")
    anon = s.client("anon")
    join(alice, "#ops")
    for c in (bob, carol, anon):
        join(c, "#ops")
    mode(alice, "#ops", "+o", "bob")
    mode(alice, "#ops", "-o", "bob")       # taken back: no entry
    mode(alice, "#ops", "+v", "carol")
    mode(alice, "#ops", "+o", "anon")      # not logged in: not kept
    mode(alice, "#ops", "+b", "Foo!*@*")
    mode(alice, "#ops", "+b", "bar!*@*")
    mode(alice, "#ops", "-b", "foo!*@*")   # another case, same mask
    mode(alice, "#ops", "-o", "alice")     # the founder, too
    s.restart()

    carol = login(s, "carol")
    names = join(carol, "#ops")
    assert names == ["+carol"]
    assert carol.expect("MODE").params == ["#ops", "+v", "carol"]
    bob = login(s, "bob")
    names = join(bob, "#ops")
    assert "bob" in names and "@bob" not in names
    anon = s.client("anon")
    names = join(anon, "#ops")
    assert "@anon" not in names and "anon" in names
    alice = login(s, "alice")
    names = join(alice, "#ops")
    assert "alice" in names and "@alice" not in names
    alice.send("MODE #ops b")
    bans = []
    while True:
        m = alice.expect(pred=lambda m: m.command in ("367", "368"))
        if m.command == "368":
            break
        bans.append(m.params[2])
    assert bans == ["bar!*@*"]


def test_chanserv_register_and_drop(make_server):
    s = make_server()
    anon = s.client("dave")
    join(anon, "#later")
    anon.send("TOPIC #later :made anonymously")
    anon.expect("TOPIC")
    anon.send("PRIVMSG ChanServ :REGISTER #later")
    assert "Log in" in anon.expect("NOTICE").params[1]
    anon.send("REGISTER dave * %s" % PASSWORDS["dave"])
    anon.expect("900")
    anon.send("PRIVMSG ChanServ :REGISTER #later")
    assert "registered to dave" in anon.expect("NOTICE").params[1]
    anon.send("PRIVMSG ChanServ :INFO #later")
    assert "founder dave" in anon.expect("NOTICE").params[1]
    s.restart()

    other = register(s, "bob")
    assert listed(other) == {"#later": (0, "made anonymously")}
    other.send("PRIVMSG ChanServ :DROP #later")
    assert "Only the founder" in other.expect("NOTICE").params[1]
    dave = login(s, "dave")
    dave.send("PRIVMSG ChanServ :DROP #later")
    assert "no longer registered" in dave.expect("NOTICE").params[1]
    # dave's login put it back in #later (its remembered channels);
    # once it leaves, empty and no longer registered, the channel is
    # gone, now and after a restart.
    if dave.joined("#later") is not None:
        dave.send("PART #later")
        dave.expect("PART")
    assert listed(dave) == {}
    s.restart()
    dave = s.client("anon2")
    assert listed(dave) == {}


def test_chanserv_needs_a_channel(client):
    c = client("someone")
    c.send("PRIVMSG ChanServ :HELP")
    assert "ChanServ" in c.expect("NOTICE").params[1]
    c.drain(0.1)
    c.send("PRIVMSG ChanServ :INFO #nowhere")
    assert "No such channel" in c.expect("NOTICE").params[1]
    c.send("PRIVMSG ChanServ :INFO")
    assert "Name a channel" in c.expect("NOTICE").params[1]
    c.send("PRIVMSG ChanServ :FROB #x")
    assert "Unknown command" in c.expect("NOTICE").params[1]

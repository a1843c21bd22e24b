"""Remembered channels: a logged-in user is back in its channels at its
next login, on any device; PART and KICK forget a channel, QUIT does
not; a guest's channels are remembered from the moment it logs in."""
import time


def _joins(c, settle=0.5):
    """The channels c was joined to since it connected (the welcome is
    drained by sasl_client; c.lines keeps every line read)."""
    c.drain(settle)
    return sorted(m.params[0] for m in c.lines if m.command == "JOIN")


def test_back_in_channels_at_next_login(server):
    server.register_account("ann", "ann-password")
    a = server.sasl_client("ann", "ann", "ann-password")
    a.send("JOIN #one,#two,#Три")
    for _ in range(3):
        a.expect("366")
    a.send("QUIT")
    a.wait_closed()
    b = server.sasl_client("ann", "ann", "ann-password")
    assert _joins(b) == ["#one", "#two", "#Три"]


def test_part_and_kick_forget_quit_does_not(server):
    server.register_account("bob", "bob-password")
    server.register_account("cat", "cat-password")
    op = server.sasl_client("cat", "cat", "cat-password")
    op.send("JOIN #k")
    op.expect("366")
    b = server.sasl_client("bob", "bob", "bob-password")
    b.send("JOIN #stay,#gone,#k")
    for _ in range(3):
        b.expect("366")
    b.send("PART #gone")
    b.expect("PART")
    op.send("KICK #k bob :out")
    b.expect("KICK")
    b.send("QUIT")
    b.wait_closed()
    b = server.sasl_client("bob", "bob", "bob-password")
    assert _joins(b) == ["#stay"]


def test_guest_channels_count_once_logged_in(server):
    server.register_account("dan", "dan-password")
    d = server.client("dan")
    d.send("JOIN #before")
    d.expect("366")
    d.send("PRIVMSG NickServ :IDENTIFY dan-password")
    d.expect("NOTICE", pred=lambda m: "logged in" in m.params[-1])
    d.send("QUIT")
    d.wait_closed()
    d = server.sasl_client("dan", "dan", "dan-password")
    assert _joins(d) == ["#before"]


def test_remembered_across_restart(server):
    server.register_account("eve", "eve-password")
    e = server.sasl_client("eve", "eve", "eve-password")
    e.send("JOIN #persist")
    e.expect("366")
    e.send("PING :x")
    e.expect("PONG")
    server.restart()
    e = server.sasl_client("eve", "eve", "eve-password")
    assert _joins(e) == ["#persist"]

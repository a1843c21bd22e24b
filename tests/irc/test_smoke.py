"""The first thing anyone does: connect, register, talk in a channel."""


def test_register_and_chat(client):
    a = client("alice")
    b = client("bob")
    a.send("JOIN #lobby")
    a.expect("366")
    b.send("JOIN #lobby")
    a.expect("JOIN", pred=lambda m: m.nick == "bob")
    a.send("PRIVMSG #lobby :hello")
    m = b.expect("PRIVMSG")
    assert m.params == ["#lobby", "hello"]
    assert m.source.startswith("alice!")

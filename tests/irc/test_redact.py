"""REDACT (IRCv3 draft/message-redaction) and EDIT (message-edit, PR 425,
cap draft/message-edit).

Who may act: the author by account, channel operators and server operators
for REDACT (an oper only in DMs it is a party of); the author only for
EDIT.  Messages of other conversations are UNKNOWN_MSGID, never found.
Clients with the cap get REDACT/EDIT; the others a NOTICE, or the new text
as "* edited: ..." replying to the original.  What is redacted leaves the
history table and the search index; what is edited is replaced in both.
"""
import base64
import os
import sqlite3
import time

import pytest

FULL = ["message-tags", "echo-message", "batch", "server-time",
        "labeled-response", "draft/chathistory", "draft/message-redaction",
        "draft/message-edit", "soju.im/search"]
PLAIN = ["message-tags", "server-time"]
PASSWORD = "password123"


def register(server, nick, caps=FULL):
    """A new client that registers the account `nick` and is logged in."""
    c = server.client(nick, caps=caps)
    c.send("REGISTER * * " + PASSWORD)
    m = c.expect("REGISTER")
    assert m.params[0] == "SUCCESS", m
    c.expect("900")
    c.drain(0.05)
    return c


def login(server, nick, account, caps=FULL):
    """A new connection that logs in to account with SASL PLAIN."""
    c = server.client()
    c.nick = nick
    c.send("CAP LS 302")
    c.send("CAP REQ :" + " ".join(list(caps) + ["sasl"]))
    c.send("NICK " + nick)
    c.send("USER u 0 * :Real Name")
    ack = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert ack.params[1] == "ACK", ack
    c.send("AUTHENTICATE PLAIN")
    c.expect("AUTHENTICATE")
    tok = base64.b64encode(("\0%s\0%s" % (account, PASSWORD)).encode())
    c.send("AUTHENTICATE " + tok.decode())
    c.expect("903")
    c.send("CAP END")
    c.expect("001")
    c.expect(pred=lambda m: m.command in ("376", "422"))
    c.drain(0.05)
    return c


def join(chan, *clients):
    for c in clients:
        if c.joined(chan) is not None:
            continue
        c.send("JOIN " + chan)
        c.expect("JOIN", pred=lambda m: m.nick == c.nick)
    for c in clients:
        c.drain(0.05)


def say(sender, target, text, verb="PRIVMSG"):
    """Send a message and return its msgid (from the echo)."""
    sender.send("%s %s :%s" % (verb, target, text))
    m = sender.expect(verb, pred=lambda m: m.nick == sender.nick and
                      m.params[-1] == text)
    return m.tags["msgid"]


def fail(c, cmd, code=None):
    m = c.expect("FAIL", pred=lambda m: m.params[0] == cmd)
    if code is not None:
        assert m.params[1] == code, m
    return m


def history(c, target, n=50):
    """CHATHISTORY LATEST: the PRIVMSG/NOTICE lines of the batch."""
    c.send("CHATHISTORY LATEST %s * %d" % (target, n))
    ref = c.expect("BATCH", pred=lambda m: m.params[0].startswith("+") and
                   m.params[1] == "chathistory").params[0][1:]
    out = []
    while True:
        m = c.expect(pred=lambda m: m.tags.get("batch") == ref or
                     (m.command == "BATCH" and m.params[0] == "-" + ref))
        if m.command == "BATCH":
            return out
        if m.command in ("PRIVMSG", "NOTICE"):
            out.append(m)


def search(c, attrs):
    """SEARCH: the message lines of the soju.im/search batch."""
    c.send("SEARCH " + attrs)
    first = c.expect(pred=lambda m: m.command == "FAIL" or
                     (m.command == "BATCH" and len(m.params) > 1 and
                      m.params[1] == "soju.im/search"))
    if first.command == "FAIL":
        raise AssertionError("SEARCH failed: %r" % first)
    ref = first.params[0][1:]
    out = []
    while True:
        # Live messages may arrive meanwhile: only the batch's lines.
        m = c.expect(pred=lambda m: m.tags.get("batch") == ref or
                     (m.command == "BATCH" and m.params[0] == "-" + ref))
        if m.command == "BATCH":
            return out
        assert m.command in ("PRIVMSG", "NOTICE"), m
        out.append(m)


def wait_indexed(c, attrs, n=1, timeout=2.0):
    """Poll SEARCH until it finds n messages (the index fills behind)."""
    deadline = time.monotonic() + timeout
    while True:
        got = search(c, attrs)
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def db(server):
    return sqlite3.connect("file:%s?mode=ro" % server.path("lanchat.db"),
                           uri=True)


def fts_count(server, word):
    with db(server) as d:
        return d.execute("select count(*) from history_fts where "
                         "history_fts match ?", ('"%s"' % word,)).fetchone()[0]


def row_of(server, msgid):
    """(body, flags, tags) of the row a msgid names."""
    n = 0
    for ch in msgid.split("-", 1)[1]:
        n = n * 36 + int(ch, 36)
    with db(server) as d:
        return d.execute("select body, flags, tags from history where "
                         "id = ?", (n,)).fetchone()


def make_oper(server, nick):
    """Register nick's account, make it an admin (it is an oper when it
    logs in), restart the server."""
    c = register(server, nick)
    c.send("QUIT")
    c.wait_closed()
    server.stop()
    with sqlite3.connect(server.path("lanchat.db")) as d:
        d.execute("update accounts set flags = flags | 1 where name = ?",
                  (nick,))
    server.start()


# --- capabilities

def test_caps_advertised(server):
    c = server.client()
    c.send("CAP LS 302")
    names = set()
    while True:
        m = c.expect("CAP")
        names.update(t.split("=")[0] for t in m.params[-1].split())
        if m.params[2] != "*":
            break
    for cap in ("draft/message-redaction", "draft/message-edit",
                "soju.im/search"):
        assert cap in names


# --- REDACT

def test_redact_own_message(server):
    alice = register(server, "alice")
    bob = server.client("bob", caps=FULL)
    carol = server.client("carol", caps=PLAIN)
    join("#c", alice, bob, carol)
    mid = say(alice, "#c", "secretword in a message")
    assert wait_indexed(alice, "in=#c;text=secretword")
    assert fts_count(server, "secretword") == 1
    bob.drain()
    carol.drain()

    alice.send("@label=r1 REDACT #c %s :typo" % mid)
    m = alice.expect("REDACT")
    assert m.tags.get("label") == "r1"
    assert m.params == ["#c", mid, "typo"]
    assert m.nick == "alice" and m.tags["msgid"] != mid
    m = bob.expect("REDACT")
    assert m.params == ["#c", mid, "typo"] and m.nick == "alice"
    # Without the cap: a notice, from the redactor, never the REDACT.
    m = carol.expect("NOTICE")
    assert m.nick == "alice" and m.params[0] == "#c"
    assert "deleted their message" in m.params[1] and "typo" in m.params[1]
    assert not any(x.command == "REDACT" for x in carol.drain())

    # Gone from history, the search and the index; the text is gone
    # from the table.
    assert all(x.tags["msgid"] != mid for x in history(bob, "#c"))
    assert search(alice, "in=#c;text=secretword") == []
    assert fts_count(server, "secretword") == 0
    body, flags, tags = row_of(server, mid)
    assert body is None and flags & 1

    # Twice: it does not exist any more.
    alice.send("REDACT #c %s" % mid)
    fail(alice, "REDACT", "UNKNOWN_MSGID")


def test_redact_by_chanop_and_forbidden(server):
    alice = register(server, "alice")     # op: she made the channel
    bob = register(server, "bob")
    carol = register(server, "carol")
    join("#c", alice, bob, carol)
    mid = say(bob, "#c", "bob says something")
    carol.drain()
    alice.drain()

    carol.send("REDACT #c %s :no" % mid)
    m = fail(carol, "REDACT", "REDACT_FORBIDDEN")
    assert m.params[2:4] == ["#c", mid]
    assert any(x.tags["msgid"] == mid for x in history(carol, "#c"))

    alice.send("REDACT #c %s spam" % mid)
    m = alice.expect("REDACT")
    assert m.params == ["#c", mid, "spam"]
    m = bob.expect("REDACT")
    assert m.nick == "alice"
    assert all(x.tags["msgid"] != mid for x in history(carol, "#c"))


def test_redact_guest_message_refused(server):
    """A message kept without an account is nobody's provably: its guest
    sender may not redact it (a chanop may)."""
    op = register(server, "opal")
    guest = server.client("guest", caps=FULL)
    join("#c", op, guest)
    mid = say(guest, "#c", "guest text")
    guest.send("REDACT #c %s" % mid)
    fail(guest, "REDACT", "REDACT_FORBIDDEN")
    op.drain()
    op.send("REDACT #c %s" % mid)
    op.expect("REDACT")


def test_redact_errors(server):
    alice = register(server, "alice")
    bob = register(server, "bob")
    join("#c", alice, bob)
    join("#d", alice)
    mid = say(alice, "#c", "in c")

    alice.send("REDACT #nowhere %s" % mid)
    m = fail(alice, "REDACT", "INVALID_TARGET")
    assert m.params[2] == "#nowhere"
    alice.send("REDACT #c nonsense-id")
    m = fail(alice, "REDACT", "UNKNOWN_MSGID")
    assert m.params[2:4] == ["#c", "nonsense-id"]
    # A message of another channel is not in this one.
    alice.send("REDACT #d %s" % mid)
    fail(alice, "REDACT", "UNKNOWN_MSGID")
    alice.send("REDACT #c")
    alice.expect("461")
    # Nothing of #c changed.
    assert any(x.tags["msgid"] == mid for x in history(alice, "#c"))


def test_redact_dm_privacy(server):
    alice = register(server, "alice")
    bob = register(server, "bob")
    carol = register(server, "carol")
    guest = server.client("guest", caps=FULL)
    mid = say(alice, "bob", "private words")
    m = bob.expect("PRIVMSG")
    assert m.tags["msgid"] == mid

    # A third user cannot touch it, whatever DM it names.
    for target in ("alice", "bob", "carol"):
        carol.send("REDACT %s %s" % (target, mid))
        fail(carol, "REDACT", "UNKNOWN_MSGID")
    # Nor someone not logged in (no DM of its own).
    guest.send("REDACT alice %s" % mid)
    fail(guest, "REDACT", "INVALID_TARGET")
    # The other party may not either: it is not theirs.
    bob.send("REDACT alice %s" % mid)
    fail(bob, "REDACT", "REDACT_FORBIDDEN")
    assert any(x.tags["msgid"] == mid for x in history(bob, "alice"))

    alice.send("REDACT bob %s :oops" % mid)
    m = alice.expect("REDACT")
    assert m.params == ["bob", mid, "oops"]
    m = bob.expect("REDACT")
    assert m.nick == "alice" and m.params == ["bob", mid, "oops"]
    carol.assert_silent()
    assert history(bob, "alice") == []
    assert history(alice, "bob") == []


def test_redact_invite_only_channel(server):
    alice = register(server, "alice")
    carol = register(server, "carol")
    join("#open", alice, carol)
    join("#secret", alice)
    alice.send("MODE #secret +i")
    alice.expect("MODE")
    mid = say(alice, "#secret", "hidden text")

    carol.send("REDACT #secret %s" % mid)
    fail(carol, "REDACT", "INVALID_TARGET")
    carol.send("REDACT #open %s" % mid)
    fail(carol, "REDACT", "UNKNOWN_MSGID")
    carol.send("@draft/target-msgid=%s;draft/edit-text=x EDIT #secret" % mid)
    fail(carol, "EDIT", "INVALID_TARGET")
    assert history(alice, "#secret")[-1].params[1] == "hidden text"


def test_redact_by_oper(make_server):
    server = make_server()
    make_oper(server, "root")
    root = login(server, "root", "root")
    alice = register(server, "alice")
    bob = server.client("bob", caps=FULL)
    join("#c", alice, bob)
    mid = say(alice, "#c", "to be moderated")
    bob.drain()
    # Not even in the channel.
    root.send("REDACT #c %s :moderation" % mid)
    m = root.expect("REDACT")
    assert m.params == ["#c", mid, "moderation"]
    m = bob.expect("REDACT")
    assert m.nick == "root"
    # A DM the oper is no party of stays out of reach.
    dm = say(alice, "bob", "between us")
    root.send("REDACT alice %s" % dm)
    fail(root, "REDACT", "UNKNOWN_MSGID")


def test_redact_reaction(server):
    alice = register(server, "alice")
    bob = register(server, "bob")
    carol = server.client("carol", caps=PLAIN)
    join("#c", alice, bob, carol)
    mid = say(alice, "#c", "hello")
    bob.send("@+draft/reply=%s;+draft/react=x TAGMSG #c" % mid)
    react = bob.expect("TAGMSG").tags["msgid"]
    carol.expect("TAGMSG")
    carol.drain()
    bob.send("REDACT #c %s" % react)
    m = bob.expect("REDACT")
    assert m.params == ["#c", react]
    m = alice.expect("REDACT")
    assert m.params == ["#c", react]
    # No notice about a reaction for those without the cap.
    carol.assert_silent()


def test_redact_survives_restart(make_server):
    server = make_server()
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", "persistentword")
    wait_indexed(alice, "text=persistentword")
    alice.send("REDACT #c %s" % mid)
    alice.expect("REDACT")
    server.restart()
    alice = login(server, "alice", "alice")
    assert search(alice, "text=persistentword") == []
    assert fts_count(server, "persistentword") == 0


# --- EDIT

def edit(c, target, msgid, text, label=None):
    esc = (text.replace("\\", "\\\\").replace(";", "\\:")
           .replace(" ", "\\s"))
    tags = "draft/target-msgid=%s;draft/edit-text=%s" % (msgid, esc)
    if label:
        tags = "label=%s;" % label + tags
    c.send("@%s EDIT %s" % (tags, target))


def test_edit_channel(server):
    alice = register(server, "alice")
    bob = server.client("bob", caps=FULL)
    carol = server.client("carol", caps=PLAIN)
    dave = server.client("dave")
    join("#c", alice, bob, carol, dave)
    mid = say(alice, "#c", "anex ample oldword")
    assert wait_indexed(alice, "text=oldword")
    for c in (bob, carol, dave):
        c.drain()

    edit(alice, "#c", mid, "an example; newword", label="e1")
    m = alice.expect("EDIT")
    assert m.tags["label"] == "e1"
    assert m.tags["draft/target-msgid"] == mid
    assert m.tags["draft/edit-text"] == "an example; newword"
    assert m.tags["msgid"] != mid and m.params == ["#c"]
    m = bob.expect("EDIT")
    assert m.nick == "alice"
    assert m.tags["draft/edit-text"] == "an example; newword"
    # Fallbacks: the new text, replying to the original.
    m = carol.expect("PRIVMSG")
    assert m.params == ["#c", "* edited: an example; newword"]
    assert m.tags.get("+draft/reply") == mid
    assert "draft/edit-text" not in m.tags
    m = dave.expect("PRIVMSG")
    assert m.params == ["#c", "* edited: an example; newword"]
    assert not m.tags

    # History has the new text under the original msgid.
    h = [x for x in history(bob, "#c") if x.tags["msgid"] == mid]
    assert len(h) == 1 and h[0].params[1] == "an example; newword"
    assert search(bob, "text=oldword") == []
    assert [x.tags["msgid"] for x in search(bob, "text=newword")] == [mid]
    assert fts_count(server, "oldword") == 0
    assert fts_count(server, "newword") == 1
    body, flags, _ = row_of(server, mid)
    assert body == "an example; newword" and flags & 2


def test_edit_echo_message_rule(server):
    caps = [c for c in FULL if c != "echo-message"]
    alice = register(server, "alice", caps=caps)
    bob = server.client("bob", caps=FULL)
    join("#c", alice, bob)
    alice.send("@label=m1 PRIVMSG #c :first")
    mid = bob.expect("PRIVMSG").tags["msgid"]
    alice.drain()
    edit(alice, "#c", mid, "second", label="e2")
    m = alice.expect("ACK")
    assert m.tags["label"] == "e2"
    assert bob.expect("EDIT").tags["draft/edit-text"] == "second"


def test_edit_forbidden(server):
    alice = register(server, "alice")   # chanop
    bob = register(server, "bob")
    guest = server.client("guest", caps=FULL)
    join("#c", alice, bob, guest)
    mid = say(bob, "#c", "bob wrote this")
    gid = say(guest, "#c", "guest wrote this")
    alice.drain()
    # Only the author: not a chanop.
    edit(alice, "#c", mid, "alice rewrites")
    m = fail(alice, "EDIT", "EDIT_FORBIDDEN")
    assert m.params[2:4] == ["#c", mid]
    # Not a guest: no account, nothing to prove it is theirs.
    edit(guest, "#c", gid, "changed")
    fail(guest, "EDIT", "EDIT_FORBIDDEN")
    # Not once the author may not speak there.
    alice.send("MODE #c +b bob!*@*")
    alice.expect("MODE")
    edit(bob, "#c", mid, "banned edit")
    fail(bob, "EDIT", "EDIT_FORBIDDEN")
    texts = [x.params[1] for x in history(alice, "#c")]
    assert "bob wrote this" in texts and "guest wrote this" in texts


def test_edit_invalid(server):
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", "original")
    alice.send("@draft/edit-text=x EDIT #c")
    m = fail(alice, "EDIT", "INVALID_EDIT")
    assert m.params[2] == "#c"
    alice.send("@draft/target-msgid=%s EDIT #c" % mid)
    m = fail(alice, "EDIT", "INVALID_EDIT")
    assert m.params[2:4] == ["#c", mid]
    alice.send("@draft/target-msgid=%s;draft/edit-text= EDIT #c" % mid)
    fail(alice, "EDIT", "INVALID_EDIT")
    alice.send("@draft/target-msgid=%s;draft/edit-text=a\\nQUIT EDIT #c"
               % mid)
    fail(alice, "EDIT", "INVALID_EDIT")
    edit(alice, "#c", mid, "x" * 600)
    fail(alice, "EDIT", "INVALID_EDIT")
    edit(alice, "#c", "bogus", "y")
    fail(alice, "EDIT", "UNKNOWN_MSGID")
    alice.send("EDIT")
    alice.expect("461")
    assert history(alice, "#c")[-1].params[1] == "original"
    # Redacted: nothing left to edit.
    alice.send("REDACT #c %s" % mid)
    alice.expect("REDACT")
    edit(alice, "#c", mid, "back")
    fail(alice, "EDIT", "UNKNOWN_MSGID")


def test_edit_text_must_fit_its_replay(server):
    """The new text must fit the line history replays, with the
    author's prefix: one that would not is refused, one that does is
    replayed whole within 512 bytes (fuzz_session found a 510-byte edit
    replayed as a longer line)."""
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", "short")
    head = len((":%s PRIVMSG #c :" % history(alice, "#c")[-1].source)
               .encode())
    edit(alice, "#c", mid, "x" * (510 - head + 1))
    fail(alice, "EDIT", "INVALID_EDIT")
    edit(alice, "#c", mid, "y" * (510 - head))
    alice.expect("EDIT")
    m = history(alice, "#c")[-1]
    assert m.params[1] == "y" * (510 - head)
    assert len(m.raw.encode().split(b" ", 1)[1]) + 2 == 512


def test_edit_dm_privacy(server):
    alice = register(server, "alice")
    bob = register(server, "bob", caps=PLAIN + ["echo-message"])
    carol = register(server, "carol")
    mid = say(alice, "bob", "dm text")
    bob.drain()
    for target in ("alice", "bob"):
        edit(carol, target, mid, "carol was here")
        fail(carol, "EDIT", "UNKNOWN_MSGID")
    edit(bob, "alice", mid, "bob was here")
    fail(bob, "EDIT", "EDIT_FORBIDDEN")

    edit(alice, "bob", mid, "dm text, fixed")
    m = alice.expect("EDIT")
    assert m.params == ["bob"]
    m = bob.expect("PRIVMSG")
    assert m.nick == "alice" and m.params == ["bob", "* edited: dm text, fixed"]
    carol.assert_silent()
    h = history(alice, "bob")
    assert [(x.tags["msgid"], x.params[1]) for x in h] == \
        [(mid, "dm text, fixed")]


def test_edit_notice_and_other_device(server):
    alice = register(server, "alice")
    alice2 = login(server, "alice_2", "alice", caps=PLAIN)
    bob = server.client("bob", caps=FULL)
    join("#c", alice, bob)
    alice2.drain()
    mid = say(alice, "#c", "a notice", verb="NOTICE")
    alice2.drain()
    bob.drain()
    edit(alice, "#c", mid, "a better notice")
    alice.expect("EDIT")
    # The author's other device has no cap: the fallback, as a NOTICE.
    m = alice2.expect("NOTICE")
    assert m.params == ["#c", "* edited: a better notice"]
    assert bob.expect("EDIT").tags["draft/edit-text"] == "a better notice"
    assert history(bob, "#c")[-1].params[1] == "a better notice"

"""SEARCH (soju.im/search): full-text search of the history a user may read.

Attributes in message-tag form (in, from, after, before, text, limit);
results as a soju.im/search batch, oldest first, in the CHATHISTORY line
form with the original msgid and time.  Only channels the caller may read
and the DMs of its own account; a fresh message is searchable within a
second; words match in any case and any script; no text is ever FTS5
syntax.
"""
import sqlite3
import time

from test_redact import (FULL, PLAIN, db, fail, join, login, register, say,
                         search, wait_indexed)


def ids(lines):
    return [m.tags["msgid"] for m in lines]


def test_cyrillic_any_case(server):
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", "Привет, мир!")
    assert ids(wait_indexed(alice, "text=привет")) == [mid]
    assert ids(search(alice, "text=ПРИВЕТ")) == [mid]
    assert ids(search(alice, "text=Привет;in=#c")) == [mid]
    assert ids(search(alice, "text=прив*")) == [mid]
    assert ids(search(alice, "text=пр*")) == [mid]
    # One character is no prefix (it would match half the index): the
    # word itself.
    assert search(alice, "text=п*") == []
    assert search(alice, "text=пока") == []
    m = search(alice, "text=мир")[0]
    assert m.nick == "alice" and m.params == ["#c", "Привет, мир!"]
    assert m.tags["time"].endswith("Z") and m.tags["msgid"] == mid


def test_fresh_message_found_within_a_second(server):
    alice = register(server, "alice")
    join("#c", alice)
    say(alice, "#c", "warmup")
    wait_indexed(alice, "text=warmup")
    time.sleep(0.3)            # the writer is idle now
    mid = say(alice, "#c", "brandnewword")
    t0 = time.monotonic()
    got = wait_indexed(alice, "text=brandnewword", timeout=1.0)
    assert ids(got) == [mid]
    assert time.monotonic() - t0 < 1.0


def test_channel_privacy(server):
    alice = register(server, "alice")
    carol = register(server, "carol")
    guest = server.client("guest", caps=FULL)
    join("#open", alice, carol, guest)
    join("#secret", alice)
    alice.send("MODE #secret +i")
    alice.expect("MODE")
    join("#keyed", alice)
    alice.send("MODE #keyed +k sesame")
    alice.expect("MODE")
    o = say(alice, "#open", "needle open")
    s = say(alice, "#secret", "needle secret")
    k = say(alice, "#keyed", "needle keyed")
    assert sorted(ids(wait_indexed(alice, "text=needle", 3))) == sorted([o, s, k])

    for c in (carol, guest):
        assert ids(search(c, "text=needle")) == [o]
        assert search(c, "text=needle;in=#secret") == []
        assert search(c, "text=needle;in=#keyed") == []
        assert search(c, "in=#secret") == []
        assert search(c, "in=#nonexistent") == []
    # A member of +i sees it; a parted one no more.
    alice.send("INVITE carol #secret")
    carol.expect("INVITE")
    join("#secret", carol)
    assert ids(search(carol, "text=needle;in=#secret")) == [s]
    carol.send("PART #secret")
    carol.expect("PART")
    assert search(carol, "text=needle;in=#secret") == []


def test_dm_privacy(server):
    alice = register(server, "alice")
    bob = register(server, "bob")
    carol = register(server, "carol")
    guest = server.client("guest", caps=FULL)
    mid = say(alice, "bob", "whisper between us")
    bob.expect("PRIVMSG")
    assert ids(wait_indexed(alice, "text=whisper")) == [mid]
    assert ids(search(bob, "text=whisper")) == [mid]
    assert ids(search(bob, "text=whisper;in=alice")) == [mid]
    assert ids(search(alice, "in=bob")) == [mid]
    assert search(alice, "text=whisper;in=carol") == []
    # A third user, logged in or not, finds nothing, however it asks.
    for c in (carol, guest):
        for attrs in ("text=whisper", "text=whisper;in=alice",
                      "text=whisper;in=bob", "in=bob", "in=alice",
                      "from=alice", "from=alice;in=bob"):
            assert search(c, attrs) == [], attrs
    # A guest's own DMs are not kept for it either (no account).
    gid = say(guest, "alice", "guest whisper")
    alice.expect("PRIVMSG")
    assert search(guest, "text=whisper") == []
    assert search(guest, "in=alice") == []
    assert gid


def test_attributes(server):
    alice = register(server, "alice")
    bob = register(server, "bob")
    join("#c", alice, bob)
    join("#d", alice)
    mids = []
    for i in range(6):
        who = alice if i % 2 == 0 else bob
        mids.append(say(who, "#c", "word%d common" % i))
        time.sleep(0.005)
    other = say(alice, "#d", "common elsewhere")
    assert len(wait_indexed(alice, "text=common", 7)) == 7

    # Ascending order, newest when no after=.
    assert ids(search(alice, "text=common;in=#c")) == mids
    assert ids(search(alice, "text=common;in=#c;limit=2")) == mids[4:]
    assert ids(search(alice, "text=common;limit=3")) == mids[4:] + [other]
    assert ids(search(alice, "in=#c;limit=2")) == mids[4:]
    # from=, in any case.
    assert ids(search(alice, "text=common;from=BOB")) == mids[1::2]
    assert ids(search(alice, "from=alice;in=#c")) == mids[0::2]
    assert search(alice, "from=nobody") == []
    # after= and before= are inclusive; after= searches forwards.
    hist = search(alice, "in=#c")
    t2, t4 = hist[2].tags["time"], hist[4].tags["time"]
    got = search(alice, "in=#c;after=%s;before=%s" % (t2, t4))
    assert ids(got)[0] == mids[2] and ids(got)[-1] == mids[4]
    got = search(alice, "in=#c;after=%s;limit=1" % t2)
    assert ids(got) == [mids[2]]
    got = search(alice, "in=#c;before=%s;limit=1" % t4)
    assert ids(got) == [mids[4]]
    assert search(alice, "in=#c;before=2010-01-01T00:00:00.000Z") == []
    assert ids(search(alice, "in=#c;after=timestamp=2010-01-01T00:00:00.000Z;"
                      "limit=1")) == mids[:1]
    # Several words: all of them.
    assert ids(search(alice, "text=word3\\scommon")) == [mids[3]]
    assert search(alice, "text=word3\\selsewhere") == []
    # limit is capped, not refused.
    assert len(search(alice, "in=#c;limit=100000")) == 6
    # Unknown attributes are ignored (as soju does).
    assert ids(search(alice, "text=word1;color=blue")) == [mids[1]]


def test_escaped_attributes(server):
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", "semi;colon and space here")
    wait_indexed(alice, "text=colon")
    # \s is a space, \: a semicolon: two words, and the ';' stays text.
    assert ids(search(alice, "text=space\\shere")) == [mid]
    assert ids(search(alice, "text=semi\\:colon;in=#c")) == [mid]


def test_invalid_params(server):
    alice = register(server, "alice")
    for attrs, key in (("limit=0", "limit"), ("limit=-3", "limit"),
                       ("limit=ten", "limit"), ("after=yesterday", "after"),
                       ("before=2024-13-45T99:00:00.000Z", "before"),
                       ("in=", "in"), ("from=", "from"),
                       ("text=" + "\\s".join(["w"] * 33), "text")):
        alice.send("SEARCH " + attrs)
        m = fail(alice, "SEARCH", "INVALID_PARAMS")
        assert m.params[2] == key, m
    alice.send("SEARCH")
    alice.expect("461")


def test_no_query_is_fts_syntax(server):
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", 'she said "hello" OR maybe NEAR(x y) body:z -x ^y')
    wait_indexed(alice, "text=maybe")
    for text in ('"', '""', '"hello', 'hello"', "OR", "AND NOT", "NEAR(x",
                 "body:z", "*", "-x", "^y", "x +", "(", ")", "{body}:x",
                 "a AND", "NOT", "\\\\", "'", "%", "_"):
        search(alice, "text=" + text.replace(" ", "\\s"))
    assert ids(search(alice, 'text="hello"')) == [mid]
    assert ids(search(alice, "text=NEAR(x")) == [mid]
    assert ids(search(alice, "text=body:z")) == [mid]


def test_no_batch_cap(server):
    alice = register(server, "alice", caps=PLAIN + ["echo-message"])
    join("#c", alice)
    mid = say(alice, "#c", "plainword")
    deadline = time.monotonic() + 2
    while True:
        alice.send("SEARCH text=plainword")
        got = alice.drain(0.2)
        assert not any(m.command == "BATCH" for m in got)
        hits = [m for m in got if m.command == "PRIVMSG"]
        if hits or time.monotonic() > deadline:
            break
    assert [m.tags["msgid"] for m in hits] == [mid]


def test_redacted_not_found(server):
    alice = register(server, "alice")
    join("#c", alice)
    mid = say(alice, "#c", "regrettable remark")
    assert ids(wait_indexed(alice, "text=regrettable")) == [mid]
    alice.send("REDACT #c %s" % mid)
    alice.expect("REDACT")
    assert search(alice, "text=regrettable") == []
    assert search(alice, "in=#c") == []


def test_big_history_indexed_at_start_and_fast(make_server):
    """Rows the index has not seen (written while it was behind) are
    indexed when the server starts, and a search over many thousands of
    rows answers quickly."""
    server = make_server()
    alice = register(server, "alice")
    join("#c", alice)
    say(alice, "#c", "seed")
    alice.send("QUIT")
    alice.wait_closed()
    server.stop()
    n = 30000
    with sqlite3.connect(server.path("lanchat.db")) as d:
        t0 = int(time.time() * 1000) - n
        d.executemany(
            "insert into history(target, time, kind, sender, account, tname, "
            "body) values ('#c', ?, 1, 'alice!u@h', 'alice', '#c', ?)",
            ((t0 + i, "filler line %d %s" % (i, "rare" if i % 5000 == 7
                                             else "usual"))
             for i in range(n)))
    server.start()
    alice = login(server, "alice", "alice")
    join("#c", alice)
    got = wait_indexed(alice, "text=rare", 6, timeout=10)
    assert len(got) == 6
    t = time.monotonic()
    assert len(search(alice, "text=usual;limit=100")) == 100
    assert len(search(alice, "text=filler;from=alice;in=#c")) == 100
    assert search(alice, "text=usual;from=nobody") == []
    assert len(search(alice, "in=#c;limit=50")) == 50
    assert time.monotonic() - t < 2.0
    with db(server) as d:
        assert d.execute("select count(*) from history_fts where history_fts "
                         "match 'usual'").fetchone()[0] == n - 6


def test_bounded_concurrency(server):
    """Two searches run at once, four more of one user wait; past that,
    FAIL SEARCH INTERNAL_ERROR BUSY.  Every one is answered."""
    alice = register(server, "alice")
    join("#c", alice)
    say(alice, "#c", "queued word")
    wait_indexed(alice, "text=queued")
    alice.send_raw(b"".join(b"@label=q%d SEARCH text=queued\r\n" % i
                            for i in range(10)))
    answers = {}
    while len(answers) < 10:
        m = alice.expect(pred=lambda m: "label" in m.tags)
        answers[m.tags["label"]] = m
    busy = [k for k, m in answers.items() if m.command == "FAIL"]
    assert len(busy) == 4, answers
    for k in busy:
        assert answers[k].params[:3] == ["SEARCH", "INTERNAL_ERROR", "BUSY"]
    ok = [m for m in answers.values() if m.command == "BATCH"]
    assert len(ok) == 6
    # And afterwards all is well again.
    assert len(search(alice, "text=queued")) == 1

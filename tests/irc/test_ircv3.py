"""IRCv3 capabilities: server-time, message-tags and msgid, echo-message,
batch and labeled-response, client-only tags and TAGMSG, CLIENTTAGDENY,
extended-join, account-tag, cap-notify, standard-replies.  (multi-prefix,
userhost-in-names, no-implicit-names and invite-notify are tested with the
commands they change, in test_channels.py.)"""
import datetime
import re

from conftest import isupport

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LR = ["batch", "labeled-response", "message-tags"]


def join(c, *chans):
    c.send("JOIN " + ",".join(chans))
    for ch in chans:
        c.expect("366", p1=ch)
    c.drain(0.02)


def in_room(*clients, chan="#v3"):
    for x in clients:
        join(x, chan)
    for x in clients:
        x.drain(0.05)


# -- server-time

def test_server_time_tag(client):
    a = client("alice")
    b = client("bob", caps=["server-time"])
    in_room(a, b)
    before = datetime.datetime.now(datetime.timezone.utc)
    a.send("PRIVMSG #v3 :what time is it")
    m = b.expect("PRIVMSG")
    after = datetime.datetime.now(datetime.timezone.utc)
    t = m.tags["time"]
    assert TIME_RE.match(t), t
    when = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    assert before - datetime.timedelta(seconds=1) <= when
    assert when <= after + datetime.timedelta(seconds=1)
    # server-time alone does not bring msgid (that comes with message-tags).
    assert "msgid" not in m.tags


def test_server_time_on_join_and_quit(client):
    a = client("alice")
    b = client("bob", caps=["server-time"])
    join(b, "#v3")
    a.send("JOIN #v3")
    assert TIME_RE.match(b.expect("JOIN").tags["time"])
    a.send("QUIT :bye")
    assert TIME_RE.match(b.expect("QUIT").tags["time"])


def test_no_tags_without_caps(client):
    a, b = client("alice"), client("bob")
    in_room(a, b)
    a.send("@+draft/react=x PRIVMSG #v3 :plain")
    m = b.expect("PRIVMSG")
    assert not m.raw.startswith("@") and m.tags == {}


# -- msgid

def test_msgid_on_privmsg_notice_tagmsg(client):
    a = client("alice")
    b = client("bob", caps=["message-tags"])
    in_room(a, b)
    ids = set()
    a.send("PRIVMSG #v3 :one")
    ids.add(b.expect("PRIVMSG").tags["msgid"])
    a.send("NOTICE #v3 :two")
    ids.add(b.expect("NOTICE").tags["msgid"])
    a.send("@+typing=active TAGMSG #v3")
    ids.add(b.expect("TAGMSG").tags["msgid"])
    a.send("PRIVMSG bob :dm")
    ids.add(b.expect("PRIVMSG").tags["msgid"])
    assert len(ids) == 4 and all(ids)


def test_msgid_same_for_every_recipient(client):
    a = client("alice", caps=["message-tags", "echo-message"])
    others = [client("r%d" % i, caps=["message-tags", "server-time"][:1 + i % 2])
              for i in range(4)]
    in_room(a, *others)
    a.send("PRIVMSG #v3 :same id for all")
    echo = a.expect("PRIVMSG")
    ids = {x.expect("PRIVMSG").tags["msgid"] for x in others}
    assert ids == {echo.tags["msgid"]}
    times = {x.lines[-1].tags.get("time") for x in others} - {None}
    assert len(times) == 1


# -- echo-message

def test_echo_message_channel(client):
    a = client("alice", caps=["echo-message", "message-tags"])
    b = client("bob", caps=["message-tags"])
    in_room(a, b)
    a.send("PRIVMSG #v3 :echo me")
    e = a.expect("PRIVMSG")
    assert e.source == "alice!u@127.0.0.1" and e.params == ["#v3", "echo me"]
    m = b.expect("PRIVMSG")
    assert e.tags["msgid"] == m.tags["msgid"]


def test_echo_message_dm_and_notice(client):
    a = client("alice", caps=["echo-message", "message-tags"])
    b = client("bob", caps=["message-tags"])
    a.send("PRIVMSG bob :dm echo")
    e = a.expect("PRIVMSG")
    assert e.params == ["bob", "dm echo"]
    assert b.expect("PRIVMSG").tags["msgid"] == e.tags["msgid"]
    a.send("NOTICE bob :notice echo")
    e = a.expect("NOTICE")
    assert b.expect("NOTICE").tags["msgid"] == e.tags["msgid"]


def test_echo_message_without_message_tags(client):
    a = client("alice", caps=["echo-message"])
    b = client("bob")
    a.send("PRIVMSG bob :x")
    e = a.expect("PRIVMSG")
    assert e.tags == {} and e.params == ["bob", "x"]


def test_echo_message_to_self_arrives_twice(client):
    a = client("alice", caps=["echo-message", "message-tags"])
    a.send("PRIVMSG alice :me, myself")
    m1 = a.expect("PRIVMSG")
    m2 = a.expect("PRIVMSG")
    assert m1.params == m2.params == ["alice", "me, myself"]
    assert m1.tags["msgid"] == m2.tags["msgid"]


# -- labeled-response

def test_labeled_ack_for_pong(client):
    a = client("alice", caps=LR)
    a.send("@label=pong1 PONG :whatever")
    m = a.expect("ACK")
    assert m.tags == {"label": "pong1"} and m.source == "test.lanchat"


def test_labeled_ack_for_join_of_joined_channel(client):
    a = client("alice", caps=LR)
    join(a, "#lr")
    a.send("@label=j2 JOIN #lr")
    m = a.expect("ACK")
    assert m.tags["label"] == "j2"


def test_labeled_single_line(client):
    a = client("alice", caps=LR)
    a.send("@label=ping1 PING :abc")
    m = a.expect("PONG")
    assert m.tags["label"] == "ping1"
    assert "batch" not in m.tags
    assert m.params[-1] == "abc"


def test_labeled_error_numeric(client):
    a = client("alice", caps=LR)
    a.send("@label=e1 PRIVMSG nobody :x")
    m = a.expect("401")
    assert m.tags["label"] == "e1"


def test_labeled_batch_for_names(client):
    a = client("alice", caps=LR)
    b = client("bob")
    in_room(a, b, chan="#lrb")
    a.send("@label=names1 NAMES #lrb")
    start = a.expect("BATCH")
    assert start.tags["label"] == "names1"
    assert start.params[0].startswith("+")
    ref = start.params[0][1:]
    assert start.params[1] == "labeled-response"
    m = a.expect("353")
    assert m.tags["batch"] == ref and "label" not in m.tags
    m = a.expect("366")
    assert m.tags["batch"] == ref
    end = a.expect("BATCH")
    assert end.params == ["-" + ref]
    assert "label" not in end.tags


def test_labeled_batch_ids_unique(client):
    a = client("alice", caps=LR)
    join(a, "#u1")
    refs = set()
    for i in range(3):
        a.send("@label=n%d NAMES #u1" % i)
        refs.add(a.expect("BATCH").params[0])
        a.expect("BATCH")
    assert len(refs) == 3


def test_label_ignored_without_batch(client):
    a = client("alice", caps=["labeled-response", "message-tags"])
    a.send("@label=nope PING :x")
    m = a.expect("PONG")
    assert "label" not in m.tags
    a.send("@label=nope2 PONG :x")
    a.assert_silent(0.2)


def test_label_ignored_without_labeled_response(client):
    a = client("alice", caps=["batch", "message-tags"])
    a.send("@label=nope PING :x")
    assert "label" not in a.expect("PONG").tags


def test_labeled_privmsg_to_self_only_echo_labeled(client):
    a = client("alice", caps=LR + ["echo-message"])
    a.send("@label=self1 PRIVMSG alice :to me")
    got = [a.expect("PRIVMSG"), a.expect("PRIVMSG")]
    labeled = [m for m in got if m.tags.get("label") == "self1"]
    plain = [m for m in got if "label" not in m.tags]
    assert len(labeled) == 1 and len(plain) == 1, got
    assert labeled[0].params == plain[0].params == ["alice", "to me"]
    assert not [m for m in a.drain(0.2) if m.command in ("BATCH", "ACK")]


def test_labeled_privmsg_echo_carries_label(client):
    a = client("alice", caps=LR + ["echo-message"])
    b = client("bob", caps=["message-tags"])
    in_room(a, b, chan="#lre")
    a.send("@label=ch1 PRIVMSG #lre :hi")
    e = a.expect("PRIVMSG")
    assert e.tags["label"] == "ch1"
    m = b.expect("PRIVMSG")
    assert "label" not in m.tags and m.tags["msgid"] == e.tags["msgid"]


def test_labeled_privmsg_without_echo_is_ack(client):
    a = client("alice", caps=LR)
    b = client("bob")
    a.send("@label=dm1 PRIVMSG bob :hi")
    assert a.expect("ACK").tags["label"] == "dm1"
    b.expect("PRIVMSG")


def test_label_too_long_ignored(client):
    a = client("alice", caps=LR)
    a.send("@label=%s PING :x" % ("L" * 65))
    assert "label" not in a.expect("PONG").tags


# -- message-tags: client-only tags and TAGMSG

def test_client_tags_relayed_to_message_tags_clients_only(client):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags"])
    c = client("carol")
    in_room(a, b, c)
    a.send("@+draft/react=\U0001F44D;+example.com/note=two\\swords PRIVMSG #v3 :tagged")
    m = b.expect("PRIVMSG")
    assert m.tags["+draft/react"] == "\U0001F44D"
    assert m.tags["+example.com/note"] == "two words"
    assert m.params == ["#v3", "tagged"]
    m = c.expect("PRIVMSG")
    assert m.tags == {} and m.params == ["#v3", "tagged"]


def test_non_client_tags_never_relayed(client):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags", "server-time", "account-tag"])
    in_room(a, b)
    a.send("@msgid=forged;time=2001-01-01T00:00:00.000Z;account=admin;"
           "foo=bar;label=x;batch=y;+ok=1 PRIVMSG #v3 :forgery")
    m = b.expect("PRIVMSG")
    assert m.tags["msgid"] != "forged"
    assert not m.tags["time"].startswith("2001")
    for k in ("account", "foo", "label", "batch"):
        assert k not in m.tags, m.raw
    assert m.tags["+ok"] == "1"


def test_tagmsg_only_to_message_tags_clients(client):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags"])
    c = client("carol")
    in_room(a, b, c)
    a.send("@+typing=active TAGMSG #v3")
    m = b.expect("TAGMSG")
    assert m.nick == "alice" and m.params == ["#v3"]
    assert m.tags["+typing"] == "active" and m.tags["msgid"]
    c.assert_silent(0.3)
    a.assert_silent(0.05)


def test_tagmsg_to_nick(client):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags"])
    plain = client("carol")
    a.send("@+typing=paused TAGMSG bob")
    m = b.expect("TAGMSG")
    assert m.params == ["bob"] and m.tags["+typing"] == "paused"
    a.send("@+typing=active TAGMSG carol")
    plain.assert_silent(0.3)


def test_typing_relayed_with_echo(client):
    a = client("alice", caps=["message-tags", "echo-message"])
    b = client("bob", caps=["message-tags"])
    in_room(a, b)
    a.send("@+typing=done TAGMSG #v3")
    e = a.expect("TAGMSG")
    m = b.expect("TAGMSG")
    assert e.tags["+typing"] == m.tags["+typing"] == "done"
    assert e.tags["msgid"] == m.tags["msgid"]


def test_tagmsg_without_client_tags_delivers_nothing(client):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags"])
    in_room(a, b)
    a.send("@foo=bar TAGMSG #v3")
    b.assert_silent(0.3)


def test_client_tag_deny(make_server):
    s = make_server(["--client-tag-deny", "typing,draft/secret"])
    a = s.client("alice", caps=["message-tags"])
    b = s.client("bob", caps=["message-tags"])
    assert isupport(a.lines)["CLIENTTAGDENY"] == "typing,draft/secret"
    in_room(a, b)
    a.send("@+typing=active;+draft/secret=1;+draft/react=ok PRIVMSG #v3 :x")
    m = b.expect("PRIVMSG")
    assert "+typing" not in m.tags and "+draft/secret" not in m.tags
    assert m.tags["+draft/react"] == "ok"
    # A TAGMSG left with no tag at all is not delivered.
    a.send("@+typing=active TAGMSG #v3")
    b.assert_silent(0.3)


def test_client_tag_deny_all_but(make_server):
    s = make_server(["--client-tag-deny", "*,-draft/react"])
    a = s.client("alice", caps=["message-tags"])
    b = s.client("bob", caps=["message-tags"])
    in_room(a, b)
    a.send("@+typing=active;+draft/react=ok;+foo=bar PRIVMSG #v3 :x")
    m = b.expect("PRIVMSG")
    assert [k for k in m.tags if k.startswith("+")] == ["+draft/react"]


# -- extended-join, account-tag

def test_extended_join(client):
    a = client("alice", caps=["extended-join"])
    b = client("bob", realname="Bob the Builder")
    a.send("JOIN #ej")
    m = a.expect("JOIN")
    assert m.params == ["#ej", "*", "Real Name"]
    b.send("JOIN #ej")
    m = a.expect("JOIN", pred=lambda m: m.nick == "bob")
    assert m.params == ["#ej", "*", "Bob the Builder"]
    # Plain clients see the plain form.
    c = client("carol")
    join(c, "#ej")
    a.expect("JOIN", pred=lambda m: m.nick == "carol")
    m = b.expect("JOIN", pred=lambda m: m.nick == "carol")
    assert m.params == ["#ej"]


def test_account_tag_absent_when_not_logged_in(client):
    a = client("alice")
    b = client("bob", caps=["account-tag", "message-tags"])
    in_room(a, b)
    a.send("PRIVMSG #v3 :who am i")
    m = b.expect("PRIVMSG")
    assert "account" not in m.tags


# -- cap-notify, standard-replies

def test_cap_notify_implied_by_ls_302(server):
    c = server.client()
    c.send("CAP LS 302")
    c.expect("CAP", pred=lambda m: m.params[1] == "LS" and m.params[2] != "*")
    c.send("CAP LIST")
    m = c.expect("CAP", pred=lambda m: m.params[1] == "LIST")
    assert "cap-notify" in m.params[-1].split()


def test_cap_notify_not_implied_by_plain_ls(server):
    c = server.client()
    c.send("CAP LS")
    ls = c.expect("CAP", pred=lambda m: m.params[1] == "LS")
    # Without 302 there are no values and no continuation marker.
    assert "=" not in ls.params[-1]
    c.send("CAP LIST")
    m = c.expect("CAP", pred=lambda m: m.params[1] == "LIST")
    assert "cap-notify" not in m.params[-1].split()


def test_cap_ls_offers_the_caps(server):
    c = server.client()
    c.send("CAP LS 302")
    names = set()
    while True:
        m = c.expect("CAP", pred=lambda m: m.params[1] == "LS")
        names |= {t.split("=")[0] for t in m.params[-1].split()}
        if m.params[2] != "*":
            break
    for cap in ("account-tag", "batch", "cap-notify", "echo-message",
                "extended-join", "invite-notify", "labeled-response",
                "message-tags", "multi-prefix", "no-implicit-names",
                "server-time", "standard-replies", "userhost-in-names"):
        assert cap in names, cap


def test_standard_replies(client):
    a = client("alice", caps=["standard-replies"])
    a.send("NICK bad\u202enick")
    a.expect("432")
    f = a.expect("FAIL")
    assert f.params[:2] == ["NICK", "ERRONEUS_NICKNAME"]
    assert f.source == "test.lanchat"

"""Connection registration: NICK/USER, CAP negotiation, PASS, timeouts,
PING/PONG and QUIT (modern.ircdocs.horse "Connection Registration",
IRCv3 capability negotiation 302)."""
import time

from conftest import Client


def cap_ls(c):
    """Read a (possibly multi-line) CAP LS reply; return the cap names."""
    names = {}
    while True:
        m = c.expect("CAP", pred=lambda m: m.params[1] == "LS")
        last = m.params[2] != "*"
        for tok in m.params[-1].split():
            k, _, v = tok.partition("=")
            names[k] = v
        if last:
            return names


def test_nick_then_user_registers(server):
    c = server.client()
    c.send("NICK alice")
    c.send("USER alice 0 * :Alice A")
    m = c.expect("001")
    assert m.params[0] == "alice"
    assert "alice!alice@" in m.params[-1]


def test_user_then_nick_registers(server):
    c = server.client()
    c.send("USER bob 0 * :Bob B")
    c.assert_silent(0.2)
    c.send("NICK bob")
    assert c.expect("001").params[0] == "bob"


def test_cap_ls_302_holds_registration_until_cap_end(server):
    c = server.client()
    c.send("CAP LS 302")
    caps = cap_ls(c)
    assert "message-tags" in caps and "batch" in caps
    c.send("NICK carol")
    c.send("USER carol 0 * :Carol")
    got = c.drain(0.3)
    assert not [m for m in got if m.command == "001"], got
    c.send("CAP END")
    c.expect("001")
    c.expect(pred=lambda m: m.command in ("376", "422"))


def test_cap_req_ack_sets_caps(server):
    c = server.client()
    c.send("CAP LS 302")
    cap_ls(c)
    c.send("CAP REQ :multi-prefix server-time")
    m = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert m.params[1] == "ACK"
    assert m.params[2].split() == ["multi-prefix", "server-time"]
    c.send("CAP LIST")
    m = c.expect("CAP", pred=lambda m: m.params[1] == "LIST")
    assert {"multi-prefix", "server-time"} <= set(m.params[-1].split())


def test_cap_req_is_all_or_nothing(server):
    c = server.client()
    c.send("CAP LS 302")
    cap_ls(c)
    c.send("CAP REQ :multi-prefix no-such-cap-here")
    m = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert m.params[1] == "NAK"
    assert m.params[2] == "multi-prefix no-such-cap-here"
    c.send("CAP LIST")
    m = c.expect("CAP", pred=lambda m: m.params[1] == "LIST")
    assert "multi-prefix" not in m.params[-1].split()


def test_cap_req_unknown_cap_naks(server):
    c = server.client()
    c.send("CAP REQ :bogus-cap")
    m = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert m.params[1] == "NAK" and m.params[2] == "bogus-cap"


def test_cap_req_minus_removes_cap(server):
    c = server.client("dave", caps=["multi-prefix", "server-time"])
    c.send("CAP REQ :-server-time")
    m = c.expect("CAP", pred=lambda m: m.params[1] in ("ACK", "NAK"))
    assert m.params[1] == "ACK"
    c.send("CAP LIST")
    m = c.expect("CAP", pred=lambda m: m.params[1] == "LIST")
    names = m.params[-1].split()
    assert "multi-prefix" in names and "server-time" not in names


def test_cap_list_after_registration(server):
    c = server.client("erin", caps=["echo-message"])
    c.send("CAP LIST")
    m = c.expect("CAP", pred=lambda m: m.params[1] == "LIST")
    assert m.params[0] == "erin"
    assert "echo-message" in m.params[-1].split()


def test_cap_bad_subcommand_is_410(server):
    c = server.client()
    c.send("CAP FROB")
    m = c.expect("410")
    assert m.params[1] == "FROB"
    c.send("NICK frank")
    c.send("USER f 0 * :F")
    c.expect("001")
    c.send("CAP BLAH")
    assert c.expect("410").params[:2] == ["frank", "BLAH"]


def test_commands_before_registration_are_451(server):
    c = server.client()
    for line in ("JOIN #x", "PRIVMSG #x :hi", "NAMES", "LIST", "MOTD"):
        c.send(line)
        c.expect("451")
    # An unknown command before registration is 451 too, not 421.
    c.send("FOO bar")
    c.expect("451")
    c.send("NICK late")
    c.send("USER l 0 * :L")
    c.expect("001")


def test_user_twice_is_462(server):
    c = server.client()
    c.send("USER a 0 * :A")
    c.send("USER b 0 * :B")
    c.expect("462")
    c.send("NICK gina")
    c.expect("001")


def test_user_after_registration_is_462(client):
    c = client("hank")
    c.send("USER again 0 * :Again")
    assert c.expect("462").params[0] == "hank"


def test_pass_after_registration_is_462(client):
    c = client("hank2")
    c.send("PASS whatever")
    c.expect("462")


def test_nick_without_param_is_431(server):
    c = server.client()
    c.send("NICK")
    c.expect("431")
    c.send("NICK :")
    c.expect("431")
    c.send("NICK ivy")
    c.send("USER i 0 * :I")
    c.expect("001")
    c.send("NICK")
    c.expect("431")


def test_user_with_too_few_params_is_461(server):
    c = server.client()
    c.send("USER onlyone")
    assert c.expect("461").params[1] == "USER"


def test_nick_in_use_is_433(client):
    client("alice")
    c = client()
    c.send("NICK alice")
    m = c.expect("433")
    assert m.params[:2] == ["*", "alice"]


def test_nick_in_use_other_case_is_433(client):
    client("Alice")
    c = client()
    c.send("NICK aLICE")
    c.expect("433")


def test_nick_in_use_cyrillic_case_is_433(client):
    client("Иван")
    c = client()
    c.send("NICK иВАН")
    m = c.expect("433")
    assert m.params[1] == "иВАН"
    # A registered client cannot take it either.
    d = client("pyotr")
    d.send("NICK ИВАН")
    d.expect("433")


def test_nick_change_seen_by_channel(client):
    a = client("oldnick")
    b = client("watcher")
    a.send("JOIN #n")
    a.expect("366")
    b.send("JOIN #n")
    b.expect("366")
    a.send("NICK newnick")
    m = a.expect("NICK")
    assert m.nick == "oldnick" and m.params == ["newnick"]
    m = b.expect("NICK")
    assert m.nick == "oldnick" and m.params == ["newnick"]
    # The old nick is free again, the new one is taken.
    c = client()
    c.send("NICK newnick")
    c.expect("433")
    c.send("NICK oldnick")
    c.send("USER o 0 * :O")
    c.expect("001")


def test_nick_change_of_case_only(client):
    a = client("casey")
    a.send("NICK CASEY")
    m = a.expect("NICK")
    assert m.params == ["CASEY"]


def test_pass_right_registers(make_server):
    s = make_server(["--password", "s3cret"])
    c = s.client()
    c.send("PASS s3cret")
    c.send("NICK pw")
    c.send("USER pw 0 * :PW")
    c.expect("001")


def test_pass_wrong_is_464_and_closes(make_server):
    s = make_server(["--password", "s3cret"])
    c = s.client()
    c.send("PASS wrong")
    c.send("NICK pw")
    c.send("USER pw 0 * :PW")
    seen = c.wait_closed()
    cmds = [m.command for m in seen]
    assert "464" in cmds and "001" not in cmds, seen
    assert cmds[-1] == "ERROR"


def test_pass_missing_is_464_and_closes(make_server):
    s = make_server(["--password", "s3cret"])
    c = s.client()
    c.send("NICK nopw")
    c.send("USER nopw 0 * :NoPW")
    seen = c.wait_closed()
    cmds = [m.command for m in seen]
    assert "464" in cmds and "001" not in cmds, seen
    # The nick was not kept by the refused connection.
    d = s.client()
    d.send("PASS s3cret")
    d.send("NICK nopw")
    d.send("USER nopw 0 * :NoPW")
    d.expect("001")


def test_registration_timeout(make_server):
    s = make_server(["--reg-timeout", "1"])
    c = s.client()
    c.send("NICK slowpoke")
    t0 = time.monotonic()
    seen = c.wait_closed(timeout=5)
    assert time.monotonic() - t0 < 4
    err = [m for m in seen if m.command == "ERROR"]
    assert err and "Registration timed out" in err[0].params[-1], seen
    # A client that registers in time is not affected.
    s.client("quick")


def test_ping_before_registration(server):
    c = server.client()
    c.send("PING :hello there")
    m = c.expect("PONG")
    assert m.params[-1] == "hello there"
    c.send("NICK pinger")
    c.send("USER p 0 * :P")
    c.expect("001")


def test_ping_after_registration(client):
    c = client("ponger")
    c.send("PING token123")
    m = c.expect("PONG")
    assert m.params[-1] == "token123"
    assert m.source == "test.lanchat"


def test_ping_without_param_is_461(client):
    c = client("pinger2")
    c.send("PING")
    assert c.expect("461").params[1] == "PING"


def test_pong_is_silent(client):
    c = client("ponger2")
    c.send("PONG :whatever")
    c.assert_silent(0.2)


def test_ping_timeout(make_server):
    """The server PINGs an idle client after --ping-interval and drops it
    --ping-timeout later unless it answers; one that answers stays."""
    s = make_server(["--ping-interval", "5", "--ping-timeout", "1"])
    dead = s.client("deadbeat")
    live = s.client("lively")
    watch = s.client("watch2")
    for c in (dead, live, watch):
        c.send("JOIN #pt")
        c.expect("366")
    dead.drain(0.05)
    t0 = time.monotonic()
    m = live.expect("PING", timeout=8)
    live.send("PONG :" + m.params[-1])
    m = dead.expect("PING", timeout=2)
    assert m.params[-1] == "test.lanchat"
    watch.send("PONG :test.lanchat")
    seen = dead.wait_closed(timeout=4)
    assert time.monotonic() - t0 < 9.5
    err = [x for x in seen if x.command == "ERROR"]
    assert err and "Ping timeout" in err[0].params[-1], seen
    q = watch.expect("QUIT", pred=lambda x: x.nick == "deadbeat")
    assert "Ping timeout" in q.params[-1]
    live.send("PING :still")
    live.expect("PONG")


def test_quit_with_message(client):
    a = client("quitter")
    b = client("stayer")
    for c in (a, b):
        c.send("JOIN #q")
        c.expect("366")
    a.send("QUIT :gone fishing")
    seen = a.wait_closed()
    assert seen[-1].command == "ERROR"
    m = b.expect("QUIT")
    assert m.nick == "quitter"
    assert m.params == ["Quit: gone fishing"]


def test_quit_without_message(client):
    a = client("quitter2")
    b = client("stayer2")
    for c in (a, b):
        c.send("JOIN #q2")
        c.expect("366")
    a.send("QUIT")
    seen = a.wait_closed()
    assert seen[-1].command == "ERROR"
    m = b.expect("QUIT")
    assert m.nick == "quitter2" and m.params == ["Quit"]


def test_quit_before_registration(server):
    c = server.client()
    c.send("NICK early")
    c.send("QUIT :bye")
    seen = c.wait_closed()
    assert seen[-1].command == "ERROR"
    # The nick is free again.
    server.client("early")


def test_unknown_command_after_registration_is_421(client):
    c = client("unk")
    c.send("FROBNICATE x")
    m = c.expect("421")
    assert m.params[1] == "FROBNICATE"

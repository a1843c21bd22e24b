"""What a client is sent when it registers: 001-004, ISUPPORT (005),
LUSERS and the MOTD; and SIGHUP, which reloads the MOTD and settings."""
import os
import signal
import time

from conftest import isupport


def test_welcome_numerics_001_to_004(client):
    c = client("welcomed")
    cmds = [m.command for m in c.lines]
    for num in ("001", "002", "003", "004"):
        assert num in cmds, cmds
    # In order, and 005 after 004.
    idx = [cmds.index(n) for n in ("001", "002", "003", "004", "005")]
    assert idx == sorted(idx)
    by = {m.command: m for m in c.lines}
    assert by["001"].params[0] == "welcomed"
    assert "welcomed!u@127.0.0.1" in by["001"].params[-1]
    assert "test.lanchat" in by["002"].params[-1]
    assert by["004"].params[1] == "test.lanchat"
    assert len(by["004"].params) >= 5
    for m in c.lines:
        if m.command in ("001", "002", "003", "004", "005"):
            assert m.source == "test.lanchat"


def test_isupport_tokens(client):
    c = client("tokens")
    t = isupport(c.lines)
    assert t["CASEMAPPING"] == "rfc8265"
    assert t["CHANTYPES"] == "#"
    assert t["PREFIX"] == "(ov)@+"
    assert t["UTF8ONLY"] is True
    assert int(t["NICKLEN"]) == 32
    assert int(t["CHANNELLEN"]) == 64
    assert int(t["TOPICLEN"]) == 390
    assert "MONITOR" in t
    assert t["STATUSMSG"] == "@+"
    assert t["NETWORK"] == "lanchat"
    assert t["CHANLIMIT"] == "#:100"
    assert int(t["MAXTARGETS"]) == 10
    assert set("CMNTU") <= set(t["ELIST"])
    assert "CLIENTTAGDENY" not in t
    targmax = dict(x.split(":", 1) for x in t["TARGMAX"].split(","))
    for cmd in ("PRIVMSG", "NOTICE", "JOIN", "PART", "TAGMSG"):
        assert targmax[cmd] == "10", targmax
    # Every 005 line ends with the human text and has at most 13 tokens.
    for m in c.lines:
        if m.command == "005":
            assert m.params[-1] == "are supported by this server"
            assert 1 <= len(m.params) - 2 <= 13


def test_isupport_follows_settings(make_server):
    s = make_server(["--max-targets", "4", "--chanlimit", "7",
                     "--network", "OfficeNet", "--max-monitor", "9",
                     "--max-list", "12"])
    c = s.client("tuned")
    t = isupport(c.lines)
    assert int(t["MAXTARGETS"]) == 4
    assert t["CHANLIMIT"] == "#:7"
    assert t["NETWORK"] == "OfficeNet"
    assert t["MONITOR"] == "9"
    assert t["MAXLIST"] == "beI:12"
    targmax = dict(x.split(":", 1) for x in t["TARGMAX"].split(","))
    for cmd in ("PRIVMSG", "NOTICE", "JOIN", "PART", "TAGMSG"):
        assert targmax[cmd] == "4", targmax
    assert "OfficeNet" in [m for m in c.lines if m.command == "001"][0].params[-1]
    # And the limits behind the tokens hold.
    c.send("JOIN #a,#b,#c,#d,#e")
    assert c.expect("407").params[1] == "#a,#b,#c,#d,#e"
    c.send("JOIN #a,#b,#c,#d")
    c.expect("366", p1="#d")


def test_lusers_in_burst(client):
    client("first")
    c = client("second")
    cmds = [m.command for m in c.lines]
    for num in ("251", "252", "253", "254", "255", "265", "266"):
        assert num in cmds, cmds
    by = {m.command: m for m in c.lines}
    assert "2 users" in by["251"].params[-1]
    assert by["265"].params[1:3] == ["2", "2"]


def test_lusers_counts_channels_and_unknown(client, server):
    a = client("lu1")
    a.send("JOIN #one,#two")
    a.expect("366", p1="#two")
    pending = server.client()     # connected, never registers
    pending.send("NICK halfway")
    time.sleep(0.1)
    c = client("lu2")
    by = {m.command: m for m in c.lines}
    assert by["254"].params[1] == "2"
    assert by["253"].params[1] == "1"


def test_motd_from_data_dir(make_server):
    s = make_server(files={"motd.txt": "Line one\nСтрока два\n\nlast line\n"})
    c = s.client("reader")
    start = c.lines.index([m for m in c.lines if m.command == "375"][0])
    body = [m.params[-1] for m in c.lines[start + 1:] if m.command == "372"]
    assert body == ["- Line one", "- Строка два", "- ", "- last line"]
    assert c.lines[-1].command == "376"
    # MOTD on request gives the same.
    c.send("MOTD")
    c.expect("375")
    assert c.expect("372").params[-1] == "- Line one"
    c.expect("376")


def test_no_motd_is_422(client):
    c = client("nomotd")
    cmds = [m.command for m in c.lines]
    assert "422" in cmds and "375" not in cmds
    c.send("MOTD")
    c.expect("422")


def test_sighup_reloads_motd(make_server):
    s = make_server(files={"motd.txt": "old text\n"})
    c = s.client("before")
    assert [m.params[-1] for m in c.lines if m.command == "372"] == ["- old text"]
    s.write("motd.txt", "new text\nsecond\n")
    s.signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while True:
        d = s.client()
        d.register("after%d" % int(time.monotonic() * 1000 % 100000))
        body = [m.params[-1] for m in d.lines if m.command == "372"]
        d.send("QUIT")
        if body == ["- new text", "- second"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert body == ["- new text", "- second"]
    # A client already connected sees the new one with MOTD.
    c.send("MOTD")
    assert c.expect("372").params[-1] == "- new text"


def test_sighup_removed_motd_gives_422(make_server):
    s = make_server(files={"motd.txt": "here\n"})
    os.unlink(s.path("motd.txt"))
    s.signal(signal.SIGHUP)
    c = s.client("m1")
    deadline = time.monotonic() + 5
    while True:
        c.send("MOTD")
        m = c.expect(pred=lambda m: m.command in ("375", "422"))
        if m.command == "422" or time.monotonic() > deadline:
            break
        c.drain(0.1)
    assert m.command == "422"


def test_sighup_reloads_config(make_server, tmp_path):
    conf = tmp_path / "lanchat.conf"
    conf.write_text("network FirstNet\nmax-targets 3\n")
    s = make_server(["--config", str(conf)])
    c = s.client("cfg1")
    t = isupport(c.lines)
    assert t["NETWORK"] == "FirstNet" and t["MAXTARGETS"] == "3"
    conf.write_text("network SecondNet\nmax-targets 5\n")
    s.signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    n = 0
    while True:
        n += 1
        d = s.client("cfg%d" % (n + 1))
        t = isupport(d.lines)
        if t["NETWORK"] == "SecondNet" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert t["NETWORK"] == "SecondNet" and t["MAXTARGETS"] == "5"
    # The new limit is enforced for the old client too.
    c.send("PRIVMSG a,b,c,d,e :hi")
    for nick in "abcde":
        c.expect("401", p1=nick)


def test_sighup_with_broken_config_keeps_settings(make_server, tmp_path):
    conf = tmp_path / "lanchat.conf"
    conf.write_text("network KeepNet\n")
    s = make_server(["--config", str(conf)])
    conf.write_text("network OtherNet\nmax-targets lots\n")
    s.signal(signal.SIGHUP)
    time.sleep(0.3)
    assert s.alive()
    c = s.client("kept")
    assert isupport(c.lines)["NETWORK"] == "KeepNet"
    deadline = time.monotonic() + 3
    while "max-targets" not in s.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "lanchat.conf:2" in s.log()

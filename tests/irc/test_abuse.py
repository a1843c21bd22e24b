"""Abuse (BATTERY.md T12-T18): oversized and malformed input, floods,
slow consumers, per-address limits and mass disconnects.  After each, the
server must still serve others."""
import socket
import threading
import time

import pytest

from conftest import Client

_serial = [0]


def uniq(prefix):
    _serial[0] += 1
    return "%s%d" % (prefix, _serial[0])


def join(c, *chans):
    c.send("JOIN " + ",".join(chans))
    for ch in chans:
        c.expect("366", p1=ch)
    c.drain(0.02)


def assert_serving(server):
    """A new client can register, join, talk and get answers quickly."""
    a = server.client(uniq("probe"))
    b = server.client(uniq("probe"))
    chan = "#" + uniq("probe")
    join(a, chan)
    join(b, chan)
    t0 = time.monotonic()
    a.send("PRIVMSG %s :are you there" % chan)
    assert b.expect("PRIVMSG", timeout=2).params == [chan, "are you there"]
    b.send("PING :rtt")
    b.expect("PONG", timeout=2)
    assert time.monotonic() - t0 < 1.5
    a.close()
    b.close()


def collect(c, seconds):
    """Every line that arrives in the next `seconds` (however busy)."""
    out = list(c.pending)
    c.pending = []
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return out
        m = c.recv(timeout=left)
        if m is None:
            if c.closed:
                return out
            continue
        out.append(m)


def sendall_quietly(sock, data):
    """Send, ignoring the peer closing on us midway."""
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False


# -- oversized and malformed lines

def test_line_over_510_bytes_is_417_and_connection_survives(client, server):
    a, b = client("alice"), client("bob")
    join(a, "#long")
    join(b, "#long")
    a.drain(0.05)
    a.send("PRIVMSG #long :" + "x" * 600)
    m = a.expect("417")
    assert m.params[0] == "alice"
    b.assert_silent(0.2)
    # Exactly 510 bytes of body is fine.  Relayed, the line gains the
    # sender's prefix; it still fits in 512 bytes with its CRLF, the
    # text cut at the end (found by fuzz_session).
    line = "PRIVMSG #long :"
    line += "y" * (510 - len(line))
    a.send(line)
    m = b.expect("PRIVMSG")
    body = m.raw.split(" ", 1)[1] if m.raw.startswith("@") else m.raw
    assert len(body.encode()) == 510
    assert m.params[1] == "y" * (510 - len(body.split(" :", 1)[0]) - 2)
    a.send("PING :still here")
    a.expect("PONG")
    assert_serving(server)


def test_line_over_510_bytes_before_registration(server):
    c = server.client()
    c.send("NICK " + "n" * 600)
    c.expect("417")
    c.send("NICK fine")
    c.send("USER f 0 * :F")
    c.expect("001")


def test_tag_data_over_4094_is_417(client, server):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags"])
    a.send("@+big=%s PRIVMSG bob :tagged" % ("v" * 4100))
    a.expect("417")
    b.assert_silent(0.2)
    # 4094 bytes of tag data is allowed.
    tags = "+big=" + "w" * (4094 - len("+big="))
    a.send("@%s PRIVMSG bob :ok" % tags)
    m = b.expect("PRIVMSG")
    assert m.params == ["bob", "ok"] and len(m.tags["+big"]) == 4094 - 5
    assert_serving(server)


def test_100k_without_newline_is_excess_flood(client, server):
    a = client("alice")
    b = client("bob")
    join(a, "#ef")
    join(b, "#ef")
    sendall_quietly(a.sock, b"PRIVMSG #ef :" + b"z" * 100 * 1024)
    seen = a.wait_closed(timeout=3)
    err = [m for m in seen if m.command == "ERROR"]
    assert err and "Excess Flood" in err[-1].params[-1], seen
    q = b.expect("QUIT")
    assert q.nick == "alice" and "Excess Flood" in q.params[-1]
    assert not [m for m in b.drain(0.1) if m.command == "PRIVMSG"]
    assert_serving(server)


def test_invalid_utf8_privmsg_is_fail_and_not_relayed(client, server):
    a, b = client("alice"), client("bob", caps=["message-tags"])
    join(a, "#utf")
    join(b, "#utf")
    b.drain(0.05)
    a.send(b"PRIVMSG #utf :bad \xff\xfe bytes")
    f = a.expect("FAIL")
    assert f.params[:2] == ["PRIVMSG", "INVALID_UTF8"]
    a.send(b"PRIVMSG #utf :overlong \xc0\xaf slash")
    a.expect("FAIL")
    a.send(b"PRIVMSG #utf :surrogate \xed\xa0\x80 half")
    a.expect("FAIL")
    a.send(b"PRIVMSG bob :cut \xe2\x82")
    a.expect("FAIL")
    b.assert_silent(0.3)
    a.send("PRIVMSG #utf :valid again")
    assert b.expect("PRIVMSG").params[1] == "valid again"
    assert_serving(server)


def test_invalid_utf8_in_tags_not_relayed(client):
    a = client("alice", caps=["message-tags"])
    b = client("bob", caps=["message-tags"])
    a.send(b"@+x=\xff PRIVMSG bob :hi")
    a.expect("FAIL")
    b.assert_silent(0.2)


def test_nul_in_line_is_fail_and_dropped(client, server):
    a, b = client("alice"), client("bob")
    join(a, "#nul")
    join(b, "#nul")
    b.drain(0.05)
    a.send(b"PRIVMSG #nul :before\x00after")
    assert a.expect("FAIL").params[1] == "INVALID_TEXT"
    a.send(b"PRIVMSG bob :nul\x00")
    a.expect("FAIL")
    b.assert_silent(0.3)
    assert_serving(server)


def test_bare_cr_in_line_is_fail_and_dropped(client, server):
    a, b = client("alice"), client("bob")
    join(a, "#cr")
    join(b, "#cr")
    b.drain(0.05)
    # Without the FAIL, the CR would let a client forge a second line on
    # the wire of every recipient.
    a.send_raw(b"PRIVMSG #cr :one\rPRIVMSG #cr :forged\r\n")
    assert a.expect("FAIL").params[1] == "INVALID_TEXT"
    a.send_raw(b"PRIVMSG bob :x\r\r\n")
    a.expect("FAIL")
    b.assert_silent(0.3)
    # A bare LF ends a line, as it does for most servers.
    a.send_raw(b"PRIVMSG #cr :lf only\n")
    assert b.expect("PRIVMSG").params[1] == "lf only"
    assert_serving(server)


def test_binary_verb_is_not_echoed(server):
    c = server.client()
    c.send_raw(b"\xff\xfe\x01GARBAGE x\r\n")
    m = c.expect(pred=lambda m: m.command in ("421", "FAIL"))
    assert "\ufffd" not in m.raw and "\x01" not in m.raw, m.raw
    c.send("NICK ok")
    c.send("USER o 0 * :O")
    c.expect("001")


def test_empty_and_blank_lines_ignored(client):
    a = client("alice")
    a.send_raw(b"\r\n\n   \r\n")
    a.assert_silent(0.2)
    a.send("PING :x")
    a.expect("PONG")


def test_too_many_params_trailing_absorbs_rest(client):
    a, b = client("alice"), client("bob")
    a.send("PRIVMSG bob " + " ".join("p%d" % i for i in range(20)))
    # Params past the 14th run into the last one; the text is "p0".
    m = b.expect("PRIVMSG")
    assert m.params[0] == "bob"


# -- flood control

def test_small_burst_is_delayed_not_dropped(client, server):
    a, b = client("alice"), client("bob")
    join(a, "#burst")
    join(b, "#burst")
    b.drain(0.05)
    n = 60
    a.send_raw(b"".join(b"PRIVMSG #burst :msg %d\r\n" % i for i in range(n)))
    t0 = time.monotonic()
    got = []
    while len(got) < n:
        m = b.expect("PRIVMSG", timeout=6)
        got.append(int(m.params[1].split()[1]))
    elapsed = time.monotonic() - t0
    assert got == list(range(n))
    # 40 at once, then 8 a second: the last 20 take over a second.
    assert 1.0 < elapsed < 5.0, elapsed
    a.send("PING :done")
    a.expect("PONG")


def test_flood_of_500_is_throttled_others_unaffected(client, server):
    a, b, c = client("flooder"), client("reader"), client("bystander")
    join(a, "#fl")
    join(b, "#fl")
    b.drain(0.05)
    a.send_raw(b"".join(b"PRIVMSG #fl :flood %d\r\n" % i for i in range(500)))
    # Others get timely answers meanwhile.
    for _ in range(5):
        t0 = time.monotonic()
        c.send("PING :rtt")
        c.expect("PONG", timeout=1)
        assert time.monotonic() - t0 < 0.3
        time.sleep(0.1)
    got = [int(m.params[1].split()[1]) for m in collect(b, 0.3)
           if m.command == "PRIVMSG"]
    assert got == list(range(len(got))), got[:60]
    # The burst went through, the rest is held back: well under 500.
    assert 30 <= len(got) < 100, len(got)
    # ... and keeps coming, in order.
    more = [int(m.params[1].split()[1]) for m in collect(b, 0.5)
            if m.command == "PRIVMSG"]
    assert more and more == list(range(len(got), len(got) + len(more)))
    # The flooder is throttled, not disconnected.
    assert not [m for m in collect(a, 0.1) if m.command == "ERROR"]
    assert_serving(server)


def test_huge_flood_is_excess_flood(client, server):
    a, b = client("flooder"), client("reader")
    join(a, "#hf")
    join(b, "#hf")
    b.drain(0.05)
    data = b"".join(b"PRIVMSG #hf :%s %d\r\n" % (b"f" * 100, i)
                    for i in range(2000))       # ~230 KB, recvq is 32 KB
    t = threading.Thread(target=sendall_quietly, args=(a.sock, data))
    t.start()
    seen = a.wait_closed(timeout=5)
    t.join(5)
    err = [m for m in seen if m.command == "ERROR"]
    assert err and "Excess Flood" in err[-1].params[-1], seen[-5:]
    q = b.expect("QUIT", timeout=3)
    assert "Excess Flood" in q.params[-1]
    got = [int(m.params[1].split()[1]) for m in b.lines if m.command == "PRIVMSG"]
    assert got == list(range(len(got)))
    assert_serving(server)


def test_recvq_setting_bounds_the_flood(make_server):
    s = make_server(["--recvq", "16k", "--flood-burst", "5", "--flood-rate", "1"])
    a = s.client("flooder")
    # 100 short lines (about 3 KB) stay under the bound: delayed only.
    a.send_raw(b"".join(b"PRIVMSG flooder :%d\r\n" % i for i in range(100)))
    time.sleep(0.3)
    assert not [m for m in a.drain(0.2) if m.command == "ERROR"]
    sendall_quietly(a.sock, b"PRIVMSG flooder :x\r\n" * 2000)   # 40 KB
    seen = a.wait_closed(timeout=5)
    assert [m for m in seen if m.command == "ERROR" and "Excess Flood" in m.params[-1]]


def test_fast_complete_lines_are_not_excess_flood(make_server):
    """recvq bounds unparsed input, not a read: with flood control off, a
    client that sends a lot of complete lines fast is served, however
    its bytes are cut into reads."""
    s = make_server(["--flood-burst", "0"])
    a = s.client("fast")
    b = s.client("sink")
    join(a, "#fast")
    join(b, "#fast")
    b.drain(0.05)
    n = 3000
    data = b"".join(b"PRIVMSG #fast :%d %s\r\n" % (i, b"q" * 150)
                    for i in range(n))             # ~500 KB
    t = threading.Thread(target=sendall_quietly, args=(a.sock, data))
    t.start()
    got = 0
    while got < n:
        m = b.expect("PRIVMSG", timeout=5)
        assert int(m.params[1].split()[0]) == got
        got += 1
    t.join(5)
    a.send("PING :alive")
    a.expect("PONG")


# -- slow consumer

@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
def test_slow_consumer_cut_off_and_sender_not_slowed(make_server, tls):
    s = make_server(["--max-sendq", "65536", "--flood-burst", "0"])
    slow = s.client("sloth", rcvbuf=4096, tls=tls)
    sender = s.client("sender")
    watcher = s.client("watcher")
    join(slow, "#big", "#watch")
    join(sender, "#big")
    join(watcher, "#watch")
    watcher.drain(0.05)
    sender.drain(0.05)
    # slow never reads from here on.  The server hands the kernel what
    # it takes before it judges a queue (up to tcp_wmem's 4 MB on
    # loopback), so send more than that.
    payload = "p" * 400
    lines = b"".join(("PRIVMSG #big :%d %s\r\n" % (i, payload)).encode()
                     for i in range(16000))     # ~6.6 MB
    t0 = time.monotonic()
    sender.sock.settimeout(30)
    sender.send_raw(lines)
    sender.send("PING :after")
    sender.expect("PONG", timeout=5)
    elapsed = time.monotonic() - t0
    assert elapsed < 3.0, elapsed
    q = watcher.expect("QUIT", timeout=5)
    assert q.nick == "sloth" and "SendQ exceeded" in q.params[-1]
    # The sender sees sloth leave #big, and is itself fine.
    sender.expect("QUIT", pred=lambda m: m.nick == "sloth")
    assert not [m for m in sender.lines if m.command == "ERROR"]
    sender.send("PING :again")
    sender.expect("PONG")
    assert_serving(s)


# -- per-address limits

def test_conns_per_ip(make_server):
    s = make_server(["--conns-per-ip", "3"])
    a = s.client("one")
    b = s.client("two")
    c = s.client()               # unregistered counts too
    d = s.client()
    seen = d.wait_closed(timeout=3)
    assert seen and seen[-1].command == "ERROR", seen
    assert "Too many connections from your IP" in seen[-1].params[-1]
    # The others are unaffected.
    a.send("PING :x")
    a.expect("PONG")
    # When one leaves, there is room again.
    c.close()
    deadline = time.monotonic() + 3
    while True:
        e = s.client()
        e.send("PING :in")
        m = e.recv(timeout=1)
        if m is not None and m.command == "PONG":
            break
        assert time.monotonic() < deadline, m
        time.sleep(0.1)


def test_unreg_per_ip(make_server):
    s = make_server(["--unreg-per-ip", "2"])
    u1 = s.client()
    u2 = s.client()
    u1.send("PING :1")
    u1.expect("PONG")
    u3 = s.client()
    seen = u3.wait_closed(timeout=3)
    assert seen and "Too many unregistered connections" in seen[-1].params[-1]
    # Registering frees the slot.
    u1.register("nowreg")
    time.sleep(0.1)
    u4 = s.client()
    u4.register("fourth")
    # Registered clients are not limited by it.
    s.client("fifth")
    s.client("sixth")


# -- mass disconnect

def register_many(server, n, chan, batch=50):
    clients = []
    for start in range(0, n, batch):
        group = [Client(server.port) for _ in range(min(batch, n - start))]
        for i, c in enumerate(group):
            c.nick = "mass%d" % (start + i)
            c.send_raw(("NICK %s\r\nUSER m 0 * :M\r\nJOIN %s\r\n"
                        % (c.nick, chan)).encode())
        for c in group:
            c.expect("366", timeout=10)
        clients.extend(group)
    return clients


def test_mass_disconnect(make_server):
    s = make_server()
    time.sleep(0.1)
    baseline = s.fd_count()
    many = register_many(s, 200, "#mass")
    assert s.fd_count() >= baseline + 200
    speaker = many[0]
    speaker.send("PRIVMSG #mass :" + "everyone " * 40)
    for c in many:
        c.reset()
    assert s.alive()
    assert_serving(s)
    c = s.client("survivor")
    join(c, "#mass")
    d = s.client("other")
    join(d, "#mass")
    c.send("PRIVMSG #mass :still works")
    assert d.expect("PRIVMSG").params[1] == "still works"
    c.close()
    d.close()
    deadline = time.monotonic() + 5
    while s.fd_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.1)
    assert s.fd_count() <= baseline, (s.fd_count(), baseline)
    assert s.alive()


def test_quit_then_reset_frees_the_conn_at_once(server):
    """A client that sends QUIT and resets at once: the write of its
    ERROR fails, and the conn goes then, not after the 5 s grace time
    a clean close is given to drain.  (Over TCP, TLS and WebSocket the
    same conn_kill path applies.)"""
    base = server.fd_count()
    clients = [server.client("rq%d" % i) for i in range(20)]
    for c in clients:
        c.send("QUIT :bye")
        c.reset()
    deadline = time.time() + 3
    while time.time() < deadline and server.fd_count() > base:
        time.sleep(0.05)
    assert server.fd_count() <= base

"""Graceful shutdown: SIGTERM (and SIGINT) send every client ERROR with
the reason, then the process exits 0 (BATTERY.md T48)."""
import signal
import time


def test_sigterm_sends_error_and_exits_zero(make_server):
    s = make_server()
    a = s.client("alice")
    b = s.client("bob", tls=True)
    u = s.client()                   # not registered yet
    a.send("JOIN #bye")
    a.expect("366")
    b.send("JOIN #bye")
    b.expect("366")
    t0 = time.monotonic()
    s.signal(signal.SIGTERM)
    for c in (a, b, u):
        seen = c.wait_closed(timeout=5)
        err = [m for m in seen if m.command == "ERROR"]
        assert err and "Server shutting down" in err[-1].params[-1], seen
    assert s.proc.wait(timeout=5) == 0
    assert time.monotonic() - t0 < 3
    assert s.stop() == 0             # sanitizer log checked here too


def test_sigint_also_graceful(make_server):
    s = make_server()
    a = s.client("alice")
    s.signal(signal.SIGINT)
    seen = a.wait_closed(timeout=5)
    assert [m for m in seen if m.command == "ERROR"
            and "Server shutting down" in m.params[-1]]
    assert s.proc.wait(timeout=5) == 0


def test_shutdown_with_busy_clients(make_server):
    s = make_server()
    clients = [s.client("busy%d" % i) for i in range(20)]
    for c in clients:
        c.send("JOIN #busy")
    for c in clients:
        c.expect("366", timeout=5)
    for c in clients[:5]:
        c.send_raw(b"PRIVMSG #busy :still talking\r\n" * 50)
    s.signal(signal.SIGTERM)
    assert s.proc.wait(timeout=8) == 0


def test_shutdown_with_history_reads_in_flight(make_server):
    """SIGTERM while CHATHISTORY and SEARCH reads run on the reader
    threads: the store closes only once they are done (it used to close
    their connections under them), and the server exits 0, five times
    over."""
    caps = ["draft/chathistory", "batch", "message-tags", "server-time",
            "soju.im/search"]
    for round_ in range(5):
        s = make_server(["--flood-burst", "0"])
        w = s.client("writer", caps=["echo-message"])
        w.send("JOIN #r")
        w.expect("366")
        w.send_raw(b"".join(b"PRIVMSG #r :line %d of the history\r\n" % i
                            for i in range(200)))
        w.expect("PRIVMSG", p1="line 199 of the history", timeout=10)
        readers = [s.client("r%d" % i, caps=caps) for i in range(8)]
        for c in readers:
            c.send("JOIN #r")
        for c in readers:
            c.expect("366")
        for c in readers:
            c.send_raw(b"CHATHISTORY LATEST #r * 100\r\n"
                       b"SEARCH text=history\r\n" * 40)
        time.sleep(0.01 * round_)
        s.signal(signal.SIGTERM)
        assert s.proc.wait(timeout=20) == 0
        assert s.stop() == 0

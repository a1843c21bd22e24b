"""--history-days: history older than the setting is deleted, with its
search index entries; newer history stays.  Default: keep everything."""
import sqlite3
import time


def _rows(path, where="1"):
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT count(*) FROM history WHERE " + where).fetchone()[0]
    finally:
        db.close()


def _age_rows(path, days):
    db = sqlite3.connect(path)
    old = int((time.time() - days * 86400) * 1000)
    db.execute("UPDATE history SET time = ?", (old,))
    db.commit()
    db.close()


def test_old_history_is_deleted(make_server):
    s = make_server(["--history-days", "2"])
    c = s.client("ann")
    c.send("JOIN #r")
    c.expect("366")
    for i in range(5):
        c.send("PRIVMSG #r :old message number %d" % i)
    c.send("PING :x")
    c.expect("PONG")
    s.stop()
    path = s.data + "/lanchat.db"
    assert _rows(path, "kind = 1") == 5
    _age_rows(path, 3)
    s.start()
    c = s.client("ann")
    c.send("JOIN #r")
    c.expect("366")
    c.send("PRIVMSG #r :new message")
    c.send("PING :x")
    c.expect("PONG")
    deadline = time.time() + 10
    while time.time() < deadline and _rows(path, "body LIKE 'old message%'") > 0:
        time.sleep(0.2)
    assert _rows(path, "body LIKE 'old message%'") == 0
    assert _rows(path, "body = 'new message'") == 1
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.execute("INSERT INTO history_fts(history_fts) VALUES('integrity-check')")
    db.close()


def test_default_keeps_everything(make_server):
    s = make_server()
    c = s.client("bea")
    c.send("JOIN #k")
    c.expect("366")
    c.send("PRIVMSG #k :ancient")
    c.send("PING :x")
    c.expect("PONG")
    s.stop()
    path = s.data + "/lanchat.db"
    _age_rows(path, 3650)
    s.start()
    time.sleep(1.5)
    assert _rows(path, "body = 'ancient'") == 1

"""Login tokens: TOKEN NEW/LIST/REVOKE, SASL X-LANCHAT-TOKEN, and every
way a token dies (revoke, LOGOUT, LOGOUT ALL, password change, drop,
suspension, 30 days unused).  Tokens never appear in the log.
"""
import base64
import re
import sqlite3
import time

from httputil import register_account, new_token


def b64(s):
    return base64.b64encode(s.encode("utf-8")).decode()


def sasl_token(server, account, token, register_after=True, tls=False):
    """Try SASL X-LANCHAT-TOKEN on a new connection.  Returns (client,
    numeric) where numeric is '903' or '904'."""
    c = server.client(tls=tls)
    c.send("CAP LS 302")
    c.send("CAP REQ :sasl")
    c.expect("CAP", pred=lambda m: m.params[1] == "ACK")
    c.send("AUTHENTICATE X-LANCHAT-TOKEN")
    c.expect("AUTHENTICATE", p0="+")
    c.send("AUTHENTICATE " + b64(account + "\0" + token))
    m = c.expect(pred=lambda m: m.command in ("903", "904", "902"))
    if register_after and m.command == "903":
        c.send("CAP END")
        c.send("NICK " + account + "_2")
        c.send("USER u 0 * :u")
        c.expect("001")
        c.drain(0.05)
    return c, m.command


def test_token_needs_login(server):
    c = server.client("nobody")
    c.send("TOKEN NEW")
    m = c.expect("FAIL")
    assert m.params[:2] == ["TOKEN", "ACCOUNT_REQUIRED"]
    c.send("TOKEN LIST")
    assert c.expect("FAIL").params[1] == "ACCOUNT_REQUIRED"


def test_token_needs_registration(server):
    c = server.client()
    c.send("TOKEN NEW")
    c.expect("451")


def test_new_and_list(server):
    c = register_account(server, "tina")
    t1 = new_token(c, "Firefox on the laptop")
    t2 = new_token(c)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", t1), t1
    assert t1 != t2
    c.send("TOKEN LIST")
    rows = [c.expect("TOKEN", p0="LIST"), c.expect("TOKEN", p0="LIST")]
    end = c.expect("TOKEN", p0="LISTEND")
    assert "2 tokens" in end.params[-1]
    labels = sorted(r.params[-1] for r in rows)
    assert labels == ["", "Firefox on the laptop"]
    for r in rows:
        # id, created, last used, label; never the token itself
        assert re.fullmatch(r"[0-9a-f]{12}", r.params[1])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r.params[2])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r.params[3])
        assert t1 not in r.raw and t2 not in r.raw


def test_label_is_cleaned_and_bounded(server):
    c = register_account(server, "lab")
    new_token(c, "x" * 300)
    c.send("TOKEN LIST")
    r = c.expect("TOKEN", p0="LIST")
    assert len(r.params[-1].encode()) <= 64


def test_sasl_mechanism_advertised(server):
    c = server.client()
    c.send("CAP LS 302")
    ls = c.expect("CAP")
    sasl = [t for t in " ".join(ls.params[2:]).split() if t.startswith("sasl=")]
    assert sasl and "X-LANCHAT-TOKEN" in sasl[0].split("=", 1)[1].split(",")


def test_sasl_token_login(server):
    c = register_account(server, "sam")
    t = new_token(c)
    d, r = sasl_token(server, "sam", t)
    assert r == "903"
    # one account online twice: the new session joins the same user
    d.send("WHOIS sam")
    assert d.expect("330").params[2] == "sam"


def test_sasl_token_login_is_case_insensitive_on_account(server):
    c = register_account(server, "Cased")
    t = new_token(c)
    _, r = sasl_token(server, "CASED", t, register_after=False)
    assert r == "903"


def test_sasl_token_wrong(server):
    c = register_account(server, "wendy")
    t = new_token(c)
    other = register_account(server, "oscar")
    t_other = new_token(other)
    for acct, tok in (("wendy", t_other), ("wendy", "A" * 43), ("wendy", "short"),
                      ("nosuchaccount", t), ("wendy", t + "x"), ("", t)):
        _, r = sasl_token(server, acct, tok, register_after=False)
        assert r == "904", (acct, tok)


def test_sasl_token_malformed_payloads(server):
    c = register_account(server, "mal")
    t = new_token(c)
    for payload in ("", "mal", "mal\0", "\0" + t, "mal\0" + t + "\0", "mal\0\0" + t):
        d = server.client()
        d.send("CAP LS 302")
        d.send("CAP REQ :sasl")
        d.expect("CAP", pred=lambda m: m.params[1] == "ACK")
        d.send("AUTHENTICATE X-LANCHAT-TOKEN")
        d.expect("AUTHENTICATE", p0="+")
        d.send("AUTHENTICATE " + (b64(payload) if payload else "+"))
        assert d.expect(pred=lambda m: m.command in ("903", "904")).command == "904", payload


def test_sasl_token_rate_limited(server):
    """Failures count like wrong passwords: past the limit even the right
    token is refused for a while."""
    c = register_account(server, "rita")
    t = new_token(c)
    d = server.client()
    d.send("CAP LS 302")
    d.send("CAP REQ :sasl")
    d.expect("CAP", pred=lambda m: m.params[1] == "ACK")
    for _ in range(25):
        d.send("AUTHENTICATE X-LANCHAT-TOKEN")
        d.expect("AUTHENTICATE", p0="+")
        d.send("AUTHENTICATE " + b64("rita\0" + "B" * 43))
        d.expect("904")
    _, r = sasl_token(server, "rita", t, register_after=False)
    assert r == "904"


def test_revoke_by_token_id_and_all(server):
    c = register_account(server, "rev")
    t1, t2, t3, t4 = (new_token(c, "t%d" % i) for i in range(4))
    c.send("TOKEN REVOKE " + t1)
    assert c.expect("TOKEN", p0="REVOKE").params[1] == "1"
    assert sasl_token(server, "rev", t1, register_after=False)[1] == "904"
    assert sasl_token(server, "rev", t2, register_after=False)[1] == "903"
    # by the id TOKEN LIST shows
    c.send("TOKEN LIST")
    rows = [c.expect("TOKEN", p0="LIST") for _ in range(3)]
    c.expect("TOKEN", p0="LISTEND")
    row = [r for r in rows if r.params[-1] == "t1"][0]
    c.send("TOKEN REVOKE " + row.params[1])
    c.expect("TOKEN", p0="REVOKE")
    assert sasl_token(server, "rev", t2, register_after=False)[1] == "904"
    c.send("TOKEN REVOKE *")
    assert c.expect("TOKEN", p0="REVOKE").params[1] == "2"
    for t in (t3, t4):
        assert sasl_token(server, "rev", t, register_after=False)[1] == "904"
    c.send("TOKEN REVOKE " + t3)
    assert c.expect("FAIL").params[1] == "INVALID_TOKEN"


def test_cannot_revoke_anothers_token(server):
    a = register_account(server, "alpha")
    ta = new_token(a)
    b = register_account(server, "beta")
    b.send("TOKEN REVOKE " + ta)
    assert b.expect("FAIL").params[1] == "INVALID_TOKEN"
    assert sasl_token(server, "alpha", ta, register_after=False)[1] == "903"


def test_logout_revokes_the_token_in_use(server):
    c = register_account(server, "lou")
    used = new_token(c, "phone")
    other = new_token(c, "laptop")
    d, r = sasl_token(server, "lou", used)
    assert r == "903"
    d.send("NS LOGOUT")
    d.expect("NOTICE", pred=lambda m: "1 login token revoked" in m.params[-1])
    assert sasl_token(server, "lou", used, register_after=False)[1] == "904"
    assert sasl_token(server, "lou", other, register_after=False)[1] == "903"


def test_logout_all_revokes_every_token(server):
    c = register_account(server, "lall")
    ts = [new_token(c) for _ in range(3)]
    c.send("NS LOGOUT ALL")
    c.expect("NOTICE", pred=lambda m: "3 login tokens revoked" in m.params[-1])
    for t in ts:
        assert sasl_token(server, "lall", t, register_after=False)[1] == "904"


def test_password_change_revokes_all(server):
    c = register_account(server, "pat")
    ts = [new_token(c) for _ in range(2)]
    c.send("NS SET PASSWORD correct-horse-battery another-good-password")
    c.expect("NOTICE", pred=lambda m: "password is changed" in m.params[-1])
    for t in ts:
        assert sasl_token(server, "pat", t, register_after=False)[1] == "904"
    # and a new one works again
    t = new_token(c)
    assert sasl_token(server, "pat", t, register_after=False)[1] == "903"


def test_drop_revokes_all(server):
    c = register_account(server, "dropme", password="drop-me-please")
    t = new_token(c)
    c.send("NS DROP drop-me-please")
    c.expect("NOTICE", pred=lambda m: "gone" in m.params[-1])
    assert sasl_token(server, "dropme", t, register_after=False)[1] == "904"
    # a new account of the same name does not inherit it (the old user
    # leaves first: a name someone holds as a nick is not registrable)
    c.send("QUIT")
    c.wait_closed()
    register_account(server, "dropme", nick="dropper")
    assert sasl_token(server, "dropme", t, register_after=False)[1] == "904"


def test_tokens_survive_restart(server):
    c = register_account(server, "keep")
    t = new_token(c)
    c.close()
    server.restart()
    assert sasl_token(server, "keep", t, register_after=False)[1] == "903"


def test_suspended_account_token_refused(server):
    c = register_account(server, "sus")
    t = new_token(c)
    c.close()
    server.stop()
    db = sqlite3.connect(server.path("lanchat.db"))
    db.execute("UPDATE accounts SET flags = flags | 2 WHERE fold = 'sus'")
    db.commit()
    db.close()
    server.start()
    assert sasl_token(server, "sus", t, register_after=False)[1] == "904"


def test_token_expires_after_30_days_unused(server):
    c = register_account(server, "old")
    t_old = new_token(c)
    t_new = new_token(c)
    c.close()
    server.stop()
    db = sqlite3.connect(server.path("lanchat.db"))
    rows = db.execute("SELECT hash FROM tokens").fetchall()
    assert len(rows) == 2
    import hashlib
    raw = base64.urlsafe_b64decode(t_old + "=")
    h = hashlib.sha256(raw).digest()
    assert (h,) in rows, "only a SHA-256 of the token is stored"
    db.execute("UPDATE tokens SET last_used = ? WHERE hash = ?",
               (int(time.time()) - 31 * 86400, h))
    db.commit()
    db.close()
    server.start()
    assert sasl_token(server, "old", t_old, register_after=False)[1] == "904"
    assert sasl_token(server, "old", t_new, register_after=False)[1] == "903"


def test_token_not_stored_in_clear(server):
    c = register_account(server, "clear")
    t = new_token(c)
    c.close()
    server.stop()
    with open(server.path("lanchat.db"), "rb") as f:
        data = f.read()
    import glob
    for p in glob.glob(server.path("lanchat.db*")):
        with open(p, "rb") as f:
            data += f.read()
    assert t.encode() not in data
    server.start()


def test_tokens_never_logged(make_server):
    s = make_server(["--trace", "all", "--verbose", "1"])
    c = register_account(s, "secret")
    t = new_token(c, "label")
    d, r = sasl_token(s, "secret", t)
    assert r == "903"
    c.send("TOKEN REVOKE " + t)
    c.expect("TOKEN", p0="REVOKE")
    c.send("NS IDENTIFY secret correct-horse-battery")
    c.drain(0.3)
    s.stop()
    log = s.log()
    assert "TOKEN" in log          # the trace is on ...
    assert t not in log            # ... but the token is not there
    assert b64("secret\0" + t) not in log
    assert "correct-horse-battery" not in log
    s.start()


def test_token_limit(server):
    c = register_account(server, "many")
    for _ in range(100):
        c.send("TOKEN NEW")
    for _ in range(100):
        c.expect("TOKEN", p0="NEW")
    c.send("TOKEN NEW")
    m = c.expect("FAIL")
    assert m.params[:2] == ["TOKEN", "LIMIT_REACHED"]


def test_token_bad_subcommands(server):
    c = register_account(server, "subs")
    c.send("TOKEN FROB")
    assert c.expect("FAIL").params[1] == "INVALID_PARAMS"
    c.send("TOKEN REVOKE")
    assert c.expect("FAIL").params[1] == "NEED_MORE_PARAMS"
    c.send("TOKEN")
    c.expect("461")

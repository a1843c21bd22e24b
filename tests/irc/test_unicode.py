"""Unicode names: nicks and channels in any script, one fold everywhere
(NFKC + case folding, CASEMAPPING=rfc8265), look-alikes refused."""
import pytest


def join(c, *chans):
    c.send("JOIN " + ",".join(chans))
    for ch in chans:
        c.expect("366", p1=ch)
    c.drain(0.02)


@pytest.mark.parametrize("nick,chan", [
    ("Иван", "#отдел-продаж"),
    ("Σωκράτης", "#φιλοσοφία"),
    ("李小龍", "#功夫"),
    ("さくら", "#日本語"),
])
def test_unicode_names_end_to_end(client, nick, chan):
    a = client(nick)
    b = client("bob")
    assert [m for m in a.lines if m.command == "001"][0].params[0] == nick
    join(a, chan)
    join(b, chan)
    m = a.expect("JOIN", pred=lambda m: m.nick == "bob")
    assert m.params == [chan]
    a.send("PRIVMSG %s :привет всем" % chan)
    m = b.expect("PRIVMSG")
    assert m.nick == nick and m.params == [chan, "привет всем"]
    b.send("PRIVMSG %s :hello %s" % (nick, nick))
    m = a.expect("PRIVMSG")
    assert m.params == [nick, "hello " + nick]
    b.send("NAMES " + chan)
    assert sorted(b.expect("353").params[-1].split()) == sorted(["@" + nick, "bob"])
    a.send("TOPIC %s :тема" % chan)
    assert b.expect("TOPIC").params == [chan, "тема"]


def test_channel_names_fold_cyrillic_case(client):
    a = client("alice")
    b = client("bob")
    join(a, "#Отдел")
    b.send("JOIN #отдел")
    m = b.expect("JOIN")
    # The channel keeps the name its creator gave it.
    assert m.params == ["#Отдел"]
    assert sorted(b.expect("353").params[-1].split()) == ["@alice", "bob"]
    b.send("PRIVMSG #ОТДЕЛ :same room")
    assert a.expect("PRIVMSG").params == ["#Отдел", "same room"]
    a.send("LIST")
    a.expect("321")
    m = a.expect("322")
    assert m.params[1:3] == ["#Отдел", "2"]
    assert a.expect(pred=lambda m: m.command in ("322", "323")).command == "323"


def test_channel_names_fold_nfkc(client):
    a = client("alice")
    b = client("bob")
    join(a, "#café")                 # precomposed é
    b.send("JOIN #cafe\u0301")       # e + combining acute
    assert b.expect("JOIN").params == ["#café"]


def test_nick_fold_sharp_s(client):
    client("Straße")
    c = client()
    c.send("NICK STRASSE")
    c.expect("433")
    c.send("NICK strasse")
    c.expect("433")


def test_nick_fold_fullwidth(client):
    client("alice")
    c = client()
    c.send("NICK ＡＬＩＣＥ")          # fullwidth letters, NFKC -> ALICE
    c.expect("433")


def test_messages_to_folded_nick(client):
    a = client("Ζωή")
    b = client("bob")
    b.send("PRIVMSG ΖΩΉ :γεια")
    m = a.expect("PRIVMSG")
    assert m.params == ["Ζωή", "γεια"]


def refused(c, nick, reason_part):
    c.send(("NICK " + nick).encode("utf-8"))
    m = c.expect("432")
    assert m.params[1] == nick
    f = c.expect("FAIL")
    assert f.params[:3] == ["NICK", "ERRONEUS_NICKNAME", nick]
    assert reason_part in f.params[-1], f.params[-1]
    return f


def test_nick_mixed_script_refused(client):
    c = client("someone")
    # Latin "p", then CYRILLIC SMALL LETTER A, then Latin "ul".
    f = refused(c, "p\u0430ul", "mixes scripts")
    assert "Latin" in f.params[-1] and "Cyrillic" in f.params[-1]


def test_nick_bidi_override_refused(client):
    refused(client("someone"), "abc\u202edef", "bidi")


def test_nick_zero_width_space_refused(client):
    refused(client("someone"), "zero\u200bwidth", "invisible")


def test_nick_bom_refused(client):
    refused(client("someone"), "\ufeffbom", "invisible")


def test_nick_too_long_after_folding(client):
    c = client("someone")
    # 11 characters, but U+FB03 LATIN SMALL LIGATURE FFI folds to "ffi":
    # 33 characters after folding, over NICKLEN 32.
    refused(c, "\ufb03" * 11, "too long")
    c.send("NICK " + "\ufb03" * 10)         # 30 after folding: fine
    assert c.expect("NICK").params == ["\ufb03" * 10]


def test_nick_too_long_plain(client):
    c = client("someone")
    refused(c, "a" * 33, "too long")
    c.send("NICK " + "a" * 32)
    c.expect("NICK")


def test_nick_refused_before_registration(server):
    c = server.client()
    refused(c, "p\u0430ul", "mixes scripts")
    c.send("NICK paul")
    c.send("USER p 0 * :P")
    c.expect("001")


def test_nick_ascii_rules(client):
    c = client("someone")
    refused(c, "1abc", "start")
    refused(c, "-abc", "start")
    refused(c, "a@b", "'@'")
    refused(c, "a!b", "'!'")
    refused(c, "a*b", "'*'")
    c.send("NICK [a]\\`^{b}|_-")
    c.expect("NICK")


def test_refused_nick_is_not_taken(client):
    a = client("alice")
    refused(a, "abc\u202edef", "bidi")
    b = client("abcdef")
    assert b.nick == "abcdef"


def test_japanese_mixed_scripts_allowed(client):
    # Han + Hiragana + Katakana + Latin is ordinary Japanese.
    a = client("someone")
    a.send("NICK 田中さんカタカナABC")
    assert a.expect("NICK").params == ["田中さんカタカナABC"]

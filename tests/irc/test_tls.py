"""TLS: the TLS listener, the self-signed certificate and its fingerprint,
old protocol versions, and the wrong protocol on either port (including
HTTP on the IRC port, the cross-protocol attack)."""
import hashlib
import socket
import ssl
import subprocess
import time
import warnings

from conftest import Client


def banner_fingerprint(server):
    for line in server.banner:
        if "SHA-256" in line:
            return line.split("SHA-256", 1)[1].strip()
    raise AssertionError("no fingerprint in banner: %r" % server.banner)


def client_hello():
    """The bytes of a real TLS ClientHello from Python's ssl module."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


def minimal_client_hello():
    """A well-formed TLS 1.2 ClientHello with no extensions, built by
    hand so that it holds no 0x0a byte: a reader that waits for a
    newline would wait for it forever."""
    random = bytes(range(0x20, 0x40))
    body = (b"\x03\x03" + random + b"\x00"          # version, random, no sid
            + b"\x00\x02\x00\x9c"                    # one cipher suite
            + b"\x01\x00")                            # null compression
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    rec = b"\x16\x03\x01" + len(hs).to_bytes(2, "big") + hs
    assert b"\n" not in rec
    return rec


def closed_within(sock, seconds):
    """Read until EOF/RST; return (elapsed, data) or fail after seconds."""
    t0 = time.monotonic()
    data = b""
    sock.settimeout(0.05)
    while time.monotonic() - t0 < seconds:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, OSError):
            return time.monotonic() - t0, data
        if not chunk:
            return time.monotonic() - t0, data
        data += chunk
    raise AssertionError("still open after %.1fs; got %r" % (seconds, data[:200]))


def test_register_over_tls_and_chat_with_plain(server):
    t = server.client("secure", tls=True)
    assert t.sock.version() in ("TLSv1.2", "TLSv1.3")
    p = server.client("plain")
    for c in (t, p):
        c.send("JOIN #mixed")
        c.expect("366")
    t.drain(0.05)
    t.send("PRIVMSG #mixed :over TLS")
    assert p.expect("PRIVMSG").params == ["#mixed", "over TLS"]
    p.send("PRIVMSG secure :over TCP")
    assert t.expect("PRIVMSG").params == ["secure", "over TCP"]


def test_tls_certificate_fingerprint_in_banner(server):
    fp = banner_fingerprint(server)
    out = subprocess.run(["openssl", "x509", "-in", server.path("tls/cert.pem"),
                          "-noout", "-fingerprint", "-sha256"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().split("=", 1)[1] == fp
    # And it is the certificate the TLS port presents.
    t = server.client(tls=True)
    der = t.sock.getpeercert(binary_form=True)
    served = ":".join("%02X" % b for b in hashlib.sha256(der).digest())
    assert served == fp


def test_tls_certificate_reused_on_restart(server):
    fp = banner_fingerprint(server)
    with open(server.path("tls/cert.pem"), "rb") as f:
        pem = f.read()
    server.restart()
    assert banner_fingerprint(server) == fp
    with open(server.path("tls/cert.pem"), "rb") as f:
        assert f.read() == pem
    server.client("again", tls=True)


def test_tls_key_file_private(server):
    import os
    import stat
    mode = stat.S_IMODE(os.stat(server.path("tls/key.pem")).st_mode)
    assert mode & 0o077 == 0, oct(mode)


def test_tls_1_1_refused(server):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=3)
    try:
        try:
            s = ctx.wrap_socket(raw, server_hostname="localhost")
        except (ssl.SSLError, ConnectionResetError, OSError):
            pass
        else:
            raise AssertionError("TLS 1.1 accepted: %s" % s.version())
    finally:
        raw.close()
    # TLS 1.2 is fine.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("DEFAULT")
    c = Client(server.tls_port, tls=True, ssl_context=ctx)
    assert c.sock.version() == "TLSv1.2"
    c.register("tls12")
    c.close()


def test_plain_text_on_tls_port_closed_quickly(server):
    s = socket.create_connection(("127.0.0.1", server.tls_port), timeout=3)
    s.sendall(b"NICK plain\r\nUSER plain 0 * :Plain\r\n")
    elapsed, _ = closed_within(s, 2)
    assert elapsed < 1.0
    s.close()
    server.client("stillfine", tls=True)


def test_tls_client_hello_on_plain_port_closed_quickly(server):
    for hello in (client_hello(), minimal_client_hello()):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=3)
        s.sendall(hello)
        elapsed, _ = closed_within(s, 2)
        assert elapsed < 1.0
        s.close()
    server.client("stillfine")


def test_tls_handshake_on_plain_port_fails_quickly(server):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=3)
    t0 = time.monotonic()
    try:
        ctx.wrap_socket(raw, server_hostname="localhost")
    except (ssl.SSLError, ConnectionResetError, OSError, socket.timeout):
        pass
    else:
        raise AssertionError("TLS handshake succeeded on the plain port")
    assert time.monotonic() - t0 < 1.0
    raw.close()


def no_channel(server, name):
    w = server.client("watcher%d" % (time.monotonic_ns() % 100000))
    w.send("LIST")
    w.expect("321")
    chans = []
    while True:
        m = w.expect(pred=lambda m: m.command in ("322", "323"))
        if m.command == "323":
            break
        chans.append(m.params[1])
    assert name not in chans, chans


def test_http_get_on_irc_port(server):
    c = server.client()
    c.send_raw(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl\r\n\r\n")
    t0 = time.monotonic()
    seen = c.wait_closed(timeout=3)
    assert time.monotonic() - t0 < 1.0
    assert [m.command for m in seen] == ["ERROR"], seen


def test_http_post_with_irc_body_runs_nothing(server):
    body = (b"NICK leaker\r\nUSER leaker 0 * :Leaker\r\nJOIN #leak\r\n"
            b"PRIVMSG #leak :hi\r\n")
    req = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1:6667\r\n"
           b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body))
    c = server.client()
    c.send_raw(req + body)
    seen = c.wait_closed(timeout=3)
    assert [m.command for m in seen] == ["ERROR"], seen
    no_channel(server, "#leak")
    # The nick was never taken.
    d = server.client("leaker")
    assert d.nick == "leaker"


def test_http_post_split_across_packets_runs_nothing(server):
    c = server.client()
    c.send_raw(b"POST /irc HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.1)
    try:
        c.send_raw(b"Content-Length: 40\r\n\r\nNICK leaker2\r\nUSER a 0 * :b\r\n"
                   b"JOIN #leak2\r\n")
    except OSError:
        pass
    seen = c.wait_closed(timeout=3)
    assert "001" not in [m.command for m in seen]
    no_channel(server, "#leak2")


def test_http_verb_after_registration_is_just_unknown(client):
    """Once registered, a line that looks like HTTP is an unknown
    command, not a reason to disconnect."""
    c = client("webby")
    c.send("GET / HTTP/1.1")
    assert c.expect("421").params[1] == "GET"

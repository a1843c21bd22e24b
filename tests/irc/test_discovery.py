"""LAN discovery (BATTERY.md T38, docs/discovery.md), between network
namespaces that each test makes and deletes (tests/netns/lan.py): servers
answer the terminal client's broadcast and multicast queries, the client
lists every server with its fingerprint (two with the same name too),
nothing answers a malformed or oversized query, no answer is larger than
its query, a flood is rate-limited (also one with a forged source), and
avahi-daemon, where it runs, gets the DNS-SD services.  No packet leaves
the namespaces; the tests skip when namespaces cannot be made here.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from conftest import LANCHATD, SANITIZER_MARKS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "netns"))
from lan import Lan, netns_available  # noqa: E402

LANCHAT = os.path.join(os.path.dirname(LANCHATD), "lanchat")
PORT = 6668
QUERY_SIZE = 1200

pytestmark = pytest.mark.skipif(netns_available() is not None,
                                reason=str(netns_available()))


def query(nonce=b"\x01" * 16, magic=b"LCDP", version=1, kind=b"Q",
          size=QUERY_SIZE, pad=b"\0"):
    head = magic + bytes([version]) + kind + b"\0\0" + nonce
    return head + pad * (size - len(head))


class NsServer:
    """lanchatd on a host of the LAN, with its own data directory."""

    def __init__(self, lan, host, name, extra=(), env=None):
        self.lan, self.host = lan, host
        self.tmp = tempfile.TemporaryDirectory(prefix="lanchat-disc-")
        self.stderr_path = os.path.join(self.tmp.name, "stderr.log")
        self.stderr = open(self.stderr_path, "wb")
        e = dict(os.environ)
        e.update(env or {})
        self.proc = lan.popen(host, [
            LANCHATD, "--data", os.path.join(self.tmp.name, "d"),
            "--listen", "*:6667", "--tls-listen", "*:6697",
            "--http-listen", "*:8080", "--name", name,
            "--password-cost", "min"] + list(extra),
            stdout=subprocess.PIPE, stderr=self.stderr, env=e)
        self.banner = []
        self.fp = None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode("utf-8", "replace")
            if not line:
                break
            self.banner.append(line.rstrip())
            m = re.search(r"TLS\s+SHA-256 ([0-9A-F:]{95})", line)
            if m:
                self.fp = m.group(1)
            if line.startswith("Connect with"):
                break
        assert self.proc.poll() is None, "lanchatd died:\n" + self.log()

    def log(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=15)
        self.proc.stdout.close()
        self.stderr.close()
        log = self.log()
        for mark in SANITIZER_MARKS:
            assert mark not in log, "sanitizer report:\n" + log[-6000:]
        assert rc == 0, log[-3000:]
        self.tmp.cleanup()
        return log


@pytest.fixture
def lan_factory():
    made = []

    def make(hosts):
        lan = Lan(hosts)
        made.append(lan)
        return lan
    yield make
    for lan in made:
        lan.close()


def run_py(lan, host, code, timeout=30):
    """Run a Python snippet on a host; returns its stdout (checked)."""
    r = lan.run(host, [sys.executable, "-c", textwrap.dedent(code)],
                timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout


def lanchat(lan, host, args, home, timeout=30):
    env = dict(os.environ, HOME=home, LANG="C.UTF-8")
    env.pop("DISPLAY", None)
    return lan.run(host, [LANCHAT] + list(args), timeout=timeout, env=env)


def test_two_servers_with_one_name_are_both_listed(lan_factory, tmp_path):
    lan = lan_factory(["srv1", "srv2", "cli1", "cli2"])
    s1 = NsServer(lan, "srv1", "office")
    s2 = NsServer(lan, "srv2", "office")
    try:
        assert "discovery  udp *:6668" in "\n".join(s1.banner)
        for cli in ("cli1", "cli2"):
            r = lanchat(lan, cli, ["--list"], str(tmp_path / cli))
            assert r.returncode == 0, r.stderr
            out = r.stdout
            assert s1.fp in out and s2.fp in out, out
            assert "%s:6697" % lan.addr("srv1") in out, out
            assert "%s:6697" % lan.addr("srv2") in out, out
            assert out.count("office") >= 2
            assert "same name" in out and "compare" in out, out
    finally:
        s1.stop()
        s2.stop()


def test_ipv6_multicast_only(lan_factory, tmp_path):
    lan = lan_factory(["srv1", "cli1"])
    s1 = NsServer(lan, "srv1", "office6")
    try:
        r = lanchat(lan, "cli1", ["--list", "-6"], str(tmp_path))
        assert r.returncode == 0, r.stderr
        assert s1.fp in r.stdout
        # Reached over link-local multicast: the answer came from the
        # server's fe80:: address on the client's eth0.
        assert "%s%%eth0" % lan.addr6("srv1") in r.stdout, r.stdout
        assert "office6" in r.stdout
    finally:
        s1.stop()


def test_nothing_found_says_why(lan_factory, tmp_path):
    lan = lan_factory(["srv1", "cli1"])
    s1 = NsServer(lan, "srv1", "hidden", extra=["--discovery", "none"])
    try:
        assert "discovery  off" in "\n".join(s1.banner)
        r = lanchat(lan, "cli1", ["--list", "--wait", "800"], str(tmp_path))
        assert r.returncode == 1
        err = r.stderr
        assert "No lanchat server answered" in err, err
        assert "firewall" in err and "subnet" in err
        assert "lanchat HOST" in err and "eth0" in err
    finally:
        s1.stop()


def test_malformed_queries_get_nothing(lan_factory):
    lan = lan_factory(["srv1", "evil"])
    s1 = NsServer(lan, "srv1", "office")
    try:
        out = run_py(lan, "evil", """
            import socket, time
            srv = %r
            def q(nonce=b"\\x01"*16, magic=b"LCDP", version=1, kind=b"Q",
                  size=%d, pad=b"\\0"):
                h = magic + bytes([version]) + kind + b"\\0\\0" + nonce
                return h + pad * (size - len(h))
            bad = [b"L", b"", q(size=%d - 1), q(size=%d + 1),
                   q(size=65000), q(magic=b"XCDP"), q(version=2),
                   q(kind=b"A"), q(pad=b"\\1"), b"\\0" * %d]
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sent = 0
            for p in bad:
                for dst in ((srv, %d), ("10.77.0.255", %d)):
                    sent += s.sendto(p, dst)
            s.settimeout(1.5)
            got = 0
            try:
                while True:
                    got += len(s.recv(70000))
            except socket.timeout:
                pass
            # And a good one, so that silence above means something.
            s.sendto(q(), (srv, %d))
            s.settimeout(3)
            ans = s.recv(70000)
            print(sent, got, len(ans), ans[:6].hex())
            """ % (lan.addr("srv1"), QUERY_SIZE, QUERY_SIZE, QUERY_SIZE,
                   QUERY_SIZE, PORT, PORT, PORT))
        sent, got, alen, head = out.split()
        assert int(sent) > 65000 and int(got) == 0, out
        assert 0 < int(alen) <= QUERY_SIZE, out
        assert head == b"LCDP\x01A".hex(), out
    finally:
        log = s1.stop()
    assert "dropped" in log


def test_flood_is_rate_limited_and_never_amplified(lan_factory):
    lan = lan_factory(["srv1", "evil"])
    s1 = NsServer(lan, "srv1", "office")
    try:
        out = run_py(lan, "evil", """
            import socket, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            q = b"LCDP\\x01Q\\0\\0" + b"\\x02" * 16
            q += b"\\0" * (%d - len(q))
            sent = got = n = 0
            start = time.monotonic()
            while time.monotonic() - start < 2.0:
                sent += s.sendto(q, (%r, %d))
                time.sleep(0.005)
                try:
                    while True:
                        d = s.recv(70000)
                        got += len(d); n += 1
                        assert len(d) <= len(q)
                except BlockingIOError:
                    pass
            time.sleep(0.5)
            try:
                while True:
                    d = s.recv(70000); got += len(d); n += 1
            except BlockingIOError:
                pass
            print(sent, got, n, time.monotonic() - start)
            """ % (QUERY_SIZE, lan.addr("srv1"), PORT))
        sent, got, n, secs = out.split()
        sent, got, n, secs = int(sent), int(got), int(n), float(secs)
        assert got <= sent
        # One source: a burst of 5, then 1 a second.
        assert 1 <= n <= 5 + int(secs) + 1, out
    finally:
        s1.stop()


def test_many_sources_share_one_budget(lan_factory):
    lan = lan_factory(["srv1", "evil"])
    for i in range(40):
        subprocess.run(["ip", "-n", lan.ns("evil"), "addr", "add",
                        "10.77.0.%d/24" % (100 + i), "dev", "eth0"],
                       check=True, capture_output=True)
    s1 = NsServer(lan, "srv1", "office")
    try:
        out = run_py(lan, "evil", """
            import socket, time
            q = b"LCDP\\x01Q\\0\\0" + b"\\x03" * 16
            q += b"\\0" * (%d - len(q))
            socks = []
            for i in range(40):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.bind(("10.77.0.%%d" %% (100 + i), 0))
                s.setblocking(False)
                socks.append(s)
            start = time.monotonic()
            for rnd in range(5):
                for s in socks:
                    s.sendto(q, (%r, %d))
            time.sleep(1.0)
            n = 0
            for s in socks:
                try:
                    while True:
                        s.recv(70000); n += 1
                except BlockingIOError:
                    pass
            print(n, time.monotonic() - start)
            """ % (QUERY_SIZE, lan.addr("srv1"), PORT))
        n, secs = out.split()
        # 200 queries from 40 sources: the bucket for everyone (64, then
        # 32 a second) answers far fewer than 200.
        assert 1 <= int(n) <= 64 + 32 * (float(secs) + 0.5), out
    finally:
        s1.stop()


def test_forged_source_is_not_amplified(lan_factory):
    """Queries with the victim's address as source: the victim gets no
    more bytes than the attacker sent, and only a trickle of them."""
    lan = lan_factory(["srv1", "evil", "victim"])
    s1 = NsServer(lan, "srv1", "office")
    victim = lan.popen("victim", [sys.executable, "-c", textwrap.dedent("""
        import socket, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 40000))
        s.settimeout(0.3)
        print("ready", flush=True)
        got = n = 0
        end = time.monotonic() + 4
        while time.monotonic() < end:
            try:
                got += len(s.recv(70000)); n += 1
            except socket.timeout:
                pass
        print(got, n, flush=True)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "ready"
        out = run_py(lan, "evil", """
            import socket, struct, time
            src, dst = %r, %r
            q = b"LCDP\\x01Q\\0\\0" + b"\\x04" * 16
            q += b"\\0" * (%d - len(q))
            udp = struct.pack("!HHHH", 40000, %d, 8 + len(q), 0) + q
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0,
                             64, 17, 0, socket.inet_aton(src),
                             socket.inet_aton(dst))
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW,
                              socket.IPPROTO_RAW)
            sent = 0
            for i in range(200):
                s.sendto(ip + udp, (dst, 0))
                sent += len(q)
                time.sleep(0.01)
            print(sent)
            """ % (lan.addr("victim"), lan.addr("srv1"), QUERY_SIZE, PORT))
        sent = int(out.strip())
        got, n = map(int, victim.stdout.readline().split())
        assert got <= sent
        assert 1 <= n <= 5 + 4, (got, n)
    finally:
        victim.wait(timeout=10)
        s1.stop()


def _which(name):
    for d in os.environ.get("PATH", "/usr/sbin:/usr/bin").split(":") + \
            ["/usr/sbin", "/sbin"]:
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return None


def test_dnssd_through_avahi(lan_factory, tmp_path):
    """With avahi-daemon (on a private D-Bus, in the server's namespace,
    its /run directory private too), lanchatd publishes _ircs._tcp with
    its fingerprint and _http._tcp."""
    avahi, dbus = _which("avahi-daemon"), _which("dbus-daemon")
    browse = _which("avahi-browse")
    if not (avahi and dbus and browse and _which("unshare")):
        pytest.skip("avahi-daemon, avahi-browse, dbus-daemon or unshare "
                    "missing (scripts/deps --test installs them)")
    if not os.path.isdir("/run/avahi-daemon"):
        os.makedirs("/run/avahi-daemon", exist_ok=True)
    lan = lan_factory(["srv1"])
    bus = tmp_path / "bus"
    (tmp_path / "bus.conf").write_text(textwrap.dedent("""\
        <!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
         "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
        <busconfig>
          <type>system</type>
          <listen>unix:path=%s</listen>
          <auth>EXTERNAL</auth>
          <policy context="default">
            <allow user="*"/>
            <allow own="*"/>
            <allow send_destination="*" eavesdrop="true"/>
            <allow receive_sender="*"/>
          </policy>
        </busconfig>
        """ % bus))
    (tmp_path / "avahi.conf").write_text(textwrap.dedent("""\
        [server]
        use-ipv4=yes
        use-ipv6=yes
        allow-interfaces=eth0
        enable-dbus=yes
        [wide-area]
        enable-wide-area=no
        [publish]
        publish-hinfo=no
        publish-workstation=no
        """))
    env = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=%s" % bus}
    e = dict(os.environ, **env)
    lan.popen("srv1", [dbus, "--config-file", str(tmp_path / "bus.conf"),
                       "--nofork", "--nopidfile"], env=e,
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not bus.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    # A private /run/avahi-daemon: the pid file and socket stay ours.
    lan.popen("srv1", ["unshare", "--mount", "sh", "-c",
                       "mount -t tmpfs tmpfs /run/avahi-daemon && exec %s "
                       "--no-drop-root --no-chroot --no-rlimits -f %s"
                       % (avahi, tmp_path / "avahi.conf")], env=e,
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s1 = NsServer(lan, "srv1", "zeroconf-office", env=env)
    try:
        found = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            r = lan.run("srv1", [browse, "-rptk", "-a"], env=e, timeout=30)
            found = r.stdout
            if "_ircs._tcp" in found and "_http._tcp" in found and \
                    "=;" in found:
                break
            time.sleep(0.5)
        lines = [ln for ln in found.splitlines() if ln.startswith("=")]
        ircs = [ln for ln in lines if "_ircs._tcp" in ln]
        http = [ln for ln in lines if "_http._tcp" in ln]
        assert ircs and http, found
        assert "zeroconf-office" in ircs[0] and ";6697;" in ircs[0]
        assert s1.fp in ircs[0], ircs[0]
        assert ";8080;" in http[0]
    finally:
        log = s1.stop()
    assert "DNS-SD: published" in log, log


def test_no_avahi_is_quiet(lan_factory):
    lan = lan_factory(["srv1"])
    s1 = NsServer(lan, "srv1", "office", env={
        "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    log = s1.stop()
    assert "DNS-SD" in log
    for line in log.splitlines():
        if "DNS-SD" in line or "avahi" in line.lower():
            assert " info " in line, line


def test_banner_shows_a_qr_code_on_a_terminal(lan_factory, tmp_path):
    """The web address, with a QR code for phones when stdout is a
    terminal (and without one in a log)."""
    import pty
    import select
    lan = lan_factory(["srv1"])
    args = [LANCHATD, "--data", str(tmp_path / "d"), "--listen", "*:6667",
            "--tls-listen", "none", "--http-listen", "*:8080", "--name",
            "qr", "--password-cost", "min", "--discovery", "none"]
    master, slave = pty.openpty()
    p = lan.popen("srv1", args, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 15
    while b"Connect with" not in out and time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                out += os.read(master, 65536)
            except OSError:
                break
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=15)
    os.close(master)
    text = out.decode("utf-8", "replace")
    assert "web        http://%s:8080/" % lan.addr("srv1") in text, text
    rows = [ln for ln in text.splitlines() if "\u2580" in ln or
            "\u2584" in ln or "\u2588" in ln]
    assert len(rows) >= 10, text     # a version-2 code is 25 modules
    # Not on a pipe: the address, no blocks.
    s1 = NsServer(lan, "srv1", "qr2", extra=["--tls-listen", "none"])
    banner = "\n".join(s1.banner)
    s1.stop()
    assert "http://%s:8080/" % lan.addr("srv1") in banner
    assert "\u2580" not in banner and "\u2588" not in banner

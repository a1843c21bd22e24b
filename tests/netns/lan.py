"""A small LAN made of network namespaces, for the discovery tests.

    lan = Lan(["srv1", "srv2", "cli1"])     # one host per namespace
    lan.addr("srv1")                        # "10.77.0.1"
    p = lan.popen("srv1", [LANCHATD, ...])  # a process on that host
    lan.run("cli1", [LANCHAT, "--list"])    # CompletedProcess
    lan.close()                             # kills, deletes everything

Each host is a namespace with one interface, eth0 (10.77.0.N/24 and an
IPv6 link-local address), whose veth peer sits on a bridge inside a
namespace of its own ("sw").  Nothing is made in the namespace the tests
run in, so no packet of these tests can reach the machine's real
network; the namespaces are deleted (and every process in them killed)
by close().  Names carry the test process's pid, so parallel tests do
not meet.

netns_available() says whether this machine lets us do this (root, the
ip tool, a kernel with namespaces, veth and bridges); tests skip with its
reason when it does not.
"""
import itertools
import os
import shutil
import signal
import subprocess
import time

_counter = itertools.count()
_checked = None


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True,
                          text=True, check=check, timeout=20)


def netns_available():
    """None when network namespaces can be used, else the reason."""
    global _checked
    if _checked is not None:
        return _checked or None
    reason = ""
    if os.geteuid() != 0:
        reason = "network namespaces need root"
    elif shutil.which("ip") is None:
        reason = "the ip tool (iproute2) is not installed"
    else:
        name = "lcprobe%d" % os.getpid()
        try:
            _ip("netns", "add", name)
            try:
                _ip("-n", name, "link", "add", "b0", "type", "bridge")
                _ip("-n", name, "link", "add", "v0", "type", "veth",
                    "peer", "name", "v1")
            finally:
                _ip("netns", "del", name, check=False)
        except (subprocess.CalledProcessError, OSError) as e:
            err = getattr(e, "stderr", "") or str(e)
            reason = "cannot make network namespaces here: %s" % err.strip()
    _checked = reason
    return reason or None


class Lan:
    SUBNET = "10.77.0."

    def __init__(self, hosts):
        self.prefix = "lct%d_%d_" % (os.getpid(), next(_counter))
        self.sw = self.prefix + "sw"
        self.hosts = {}
        self.procs = []
        self.made = []
        try:
            self._make(hosts)
        except Exception:
            self.close()
            raise

    def _make(self, hosts):
        _ip("netns", "add", self.sw)
        self.made.append(self.sw)
        _ip("-n", self.sw, "link", "set", "lo", "up")
        # No STP delay, no multicast snooping: every port hears every
        # broadcast and multicast at once, as on a dumb switch.
        _ip("-n", self.sw, "link", "add", "br0", "type", "bridge",
            "forward_delay", "0", "mcast_snooping", "0")
        _ip("-n", self.sw, "link", "set", "br0", "up")
        for i, h in enumerate(hosts):
            self.add_host(h, i + 1)
        self.wait_ipv6()

    def add_host(self, name, n):
        ns = self.prefix + name
        _ip("netns", "add", ns)
        self.made.append(ns)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                        "net.ipv6.conf.all.accept_dad=0",
                        "net.ipv6.conf.default.accept_dad=0"],
                       capture_output=True, timeout=20)
        port = "p%d" % n
        _ip("-n", self.sw, "link", "add", port, "type", "veth", "peer",
            "name", "eth0", "netns", ns)
        _ip("-n", self.sw, "link", "set", port, "master", "br0")
        _ip("-n", self.sw, "link", "set", port, "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        _ip("-n", ns, "addr", "add", "%s%d/24" % (self.SUBNET, n),
            "brd", "+", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        self.hosts[name] = (ns, n)

    def wait_ipv6(self, timeout=10):
        """Wait until every host has a usable IPv6 link-local address."""
        deadline = time.monotonic() + timeout
        for name, (ns, _) in self.hosts.items():
            while True:
                out = _ip("-n", ns, "-6", "addr", "show", "dev", "eth0",
                          check=False).stdout
                if "fe80" in out and "tentative" not in out:
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("no IPv6 link-local on %s" % name)
                time.sleep(0.05)

    def ns(self, host):
        return self.hosts[host][0]

    def addr(self, host):
        return "%s%d" % (self.SUBNET, self.hosts[host][1])

    def addr6(self, host):
        out = _ip("-n", self.ns(host), "-6", "addr", "show", "dev",
                  "eth0").stdout
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("inet6 fe80"):
                return line.split()[1].split("/")[0]
        return None

    def cmd(self, host, argv):
        return ["ip", "netns", "exec", self.ns(host)] + list(argv)

    def popen(self, host, argv, **kw):
        p = subprocess.Popen(self.cmd(host, argv), **kw)
        self.procs.append(p)
        return p

    def run(self, host, argv, timeout=30, **kw):
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(self.cmd(host, argv), timeout=timeout, **kw)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        for ns in reversed(self.made):
            # Whatever still runs in the namespace goes with it.
            pids = _ip("netns", "pids", ns, check=False).stdout.split()
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            _ip("netns", "del", ns, check=False)
        self.made = []

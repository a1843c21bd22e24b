"""Interoperability with a real IRC client from Debian: irssi, run
headless under tmux (its own tmux server socket), driven with send-keys
and read with capture-pane.  irssi negotiates CAP as it does by default."""
import os
import shutil
import subprocess
import tempfile
import time

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("irssi") is None or shutil.which("tmux") is None,
    reason="irssi or tmux is not installed")


class Irssi:
    def __init__(self):
        self.home = tempfile.TemporaryDirectory(prefix="lanchat-irssi-")
        self.sock = "lanchat-test"
        # The tmux socket lives in the temporary home too, so nothing is
        # left behind in /tmp/tmux-UID.
        self.env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8",
                        LC_ALL="C.UTF-8", HOME=self.home.name,
                        TMUX_TMPDIR=self.home.name)
        self.env.pop("TMUX", None)
        self.tmux("new-session", "-d", "-s", "irc", "-x", "200", "-y", "50",
                  "irssi --home=%s --noconnect" % self.home.name)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock] + list(args),
                              env=self.env, capture_output=True, text=True,
                              timeout=10)

    def type(self, text):
        self.tmux("send-keys", "-t", "irc", "-l", text)
        self.tmux("send-keys", "-t", "irc", "Enter")

    def screen(self):
        return self.tmux("capture-pane", "-p", "-t", "irc").stdout

    def wait_for(self, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.screen()
            if text in s:
                return s
            time.sleep(0.1)
        raise AssertionError("%r not on irssi's screen:\n%s" % (text, self.screen()))

    def close(self):
        self.tmux("kill-server")
        self.home.cleanup()


def test_irssi_chats_with_a_test_client(server, client):
    t = client("pytester")
    t.send("JOIN #interop")
    t.expect("366")
    t.drain(0.05)
    irssi = Irssi()
    try:
        irssi.wait_for("Irssi v")
        irssi.type("/set nick irssiuser")
        # irssi's own flood queue sends a few commands at once and then
        # one every 2.2 s; let it send ours at once to keep this short.
        irssi.type("/set cmds_max_at_once 100")
        irssi.type("/connect 127.0.0.1 %d" % server.port)
        irssi.wait_for("Welcome to the lanchat IRC network")
        irssi.type("/join #interop")
        m = t.expect("JOIN", timeout=10, pred=lambda m: m.nick == "irssiuser")
        assert m.params == ["#interop"]
        irssi.wait_for("pytester")          # the NAMES list, shown on join
        irssi.type("hello from irssi, Привет")
        m = t.expect("PRIVMSG", timeout=10)
        assert m.nick == "irssiuser"
        assert m.params == ["#interop", "hello from irssi, Привет"]
        t.send("PRIVMSG #interop :hello from pytest, ñandú")
        irssi.wait_for("hello from pytest, ñandú")
        # A direct message opens a query window in irssi.
        t.send("PRIVMSG irssiuser :just for you")
        deadline = time.monotonic() + 10
        while "just for you" not in irssi.screen():
            assert time.monotonic() < deadline, irssi.screen()
            irssi.type("/window goto pytester")
            time.sleep(0.2)
        irssi.type("/quit leaving now")
        m = t.expect("QUIT", timeout=10)
        assert m.nick == "irssiuser" and "leaving now" in m.params[-1]
    finally:
        irssi.close()

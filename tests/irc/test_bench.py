"""Smoke test of lanchat-bench: build it, start lanchatd with the limits a
benchmark lifts, and run one small run of each scenario; each must end
with exit code 0 (no lost or duplicated message, a file that came back
whole) and a summary line.  This is no benchmark: the sizes are tiny and
no figure is checked."""
import os
import subprocess

import pytest

from conftest import LANCHATD, ROOT
from httputil import web_server

BENCH_ARGS = ["--flood-burst", "0", "--conns-per-ip", "0",
              "--unreg-per-ip", "0", "--max-sendq", "64M"]


def bench_binary():
    build = os.environ.get("LANCHAT_BUILD") or os.path.dirname(LANCHATD)
    path = os.path.join(build, "lanchat-bench")
    if not os.access(path, os.X_OK):
        # The wire tests may run before anything built the bench.
        subprocess.run(["make", "-s", "-C", ROOT, os.path.relpath(path, ROOT)],
                       check=True, timeout=300)
    return path


@pytest.fixture(scope="module")
def bench():
    return bench_binary()


def run_bench(bench, server, *args, port=None, expect=0):
    cmd = [bench, "--port", str(port or server.port), "--pid", str(server.pid),
           "--timeout", "60", "--drain", "10"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == expect, "rc %d\nstdout:\n%s\nstderr:\n%s" % (
        r.returncode, r.stdout, r.stderr)
    summary = [l for l in r.stdout.splitlines() if l.startswith("scenario=")]
    assert summary, r.stdout
    return dict(t.partition("=")[::2] for t in summary[-1].split())


def test_bench_scenarios(make_server, bench):
    server = make_server(BENCH_ARGS)
    s = run_bench(bench, server, "--scenario", "connect", "-N", "50",
                  "--idle", "0.2", "--settle", "0.1")
    assert s["registered"] == "50" and s["failed"] == "0"
    assert float(s["rss_after_kib"]) > 0
    s = run_bench(bench, server, "--scenario", "fanout", "-C", "10", "-S", "2",
                  "-M", "300", "-W", "20")
    assert s["lost"] == "0" and s["dup"] == "0"
    assert float(s["deliveries_per_s"]) > 0
    s = run_bench(bench, server, "--scenario", "fanout", "-C", "5", "-S", "1",
                  "-M", "100", "--rate", "2000")
    assert s["lost"] == "0" and s["dup"] == "0"
    s = run_bench(bench, server, "--scenario", "direct", "-P", "5", "-M", "200",
                  "--both")
    assert s["lost"] == "0" and s["dup"] == "0"
    s = run_bench(bench, server, "--scenario", "history", "--fill", "500",
                  "--queries", "5", "--limit", "50")
    assert s["supported"] == "1"
    assert s["rows_latest"] == "50.0" and s["rows_before"] == "50.0"
    s = run_bench(bench, server, "--scenario", "history", "--prefilled",
                  "--queries", "5", "--limit", "50")
    assert s["rows_latest"] == "50.0"


def test_bench_tls(make_server, bench):
    server = web_server(make_server, BENCH_ARGS, https=True)
    s = run_bench(bench, server, "--tls", "--scenario", "fanout", "-C", "4",
                  "-S", "1", "-M", "200", port=server.tls_port)
    assert s["lost"] == "0" and s["dup"] == "0"
    # WebSocket over TLS: --tls covers the HTTPS port too.
    s = run_bench(bench, server, "--tls", "--ws", "--ws-port",
                  str(server.https_port), "--scenario", "fanout", "-C", "4",
                  "-S", "2", "-M", "200", port=server.tls_port)
    assert s["lost"] == "0" and s["dup"] == "0" and s["ws_clients"] == "2"


def test_bench_websocket(make_server, bench):
    """--ws: half the clients (the odd ones: senders and receivers) on the
    IRCv3 WebSocket transport of the HTTP port, the rest on TCP."""
    server = web_server(make_server, BENCH_ARGS)
    ws = ["--ws", "--ws-port", str(server.http_port)]
    s = run_bench(bench, server, *ws, "--scenario", "fanout", "-C", "10",
                  "-S", "4", "-M", "300", "-W", "20")
    assert s["lost"] == "0" and s["dup"] == "0" and s["errors"] == "0"
    assert s["ws_clients"] == "5"
    s = run_bench(bench, server, *ws, "--scenario", "direct", "-P", "4",
                  "-M", "200", "--both")
    assert s["lost"] == "0" and s["dup"] == "0" and s["ws_clients"] == "4"
    s = run_bench(bench, server, "--ws=1", "--ws-port",
                  str(server.http_port), "--scenario", "connect", "-N", "20",
                  "--idle", "0", "--settle", "0")
    assert s["registered"] == "20"


def test_bench_websocket_refused(make_server, bench):
    """A WebSocket client of a port that is not HTTP fails plainly."""
    server = make_server(BENCH_ARGS)
    run_bench_fails(bench, server, "--ws", "--ws-port", str(server.port),
                    "--scenario", "fanout", "-C", "2", "-M", "1")


def run_bench_fails(bench, server, *args):
    cmd = [bench, "--port", str(server.port), "--timeout", "20",
           "--drain", "5"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r
    return r


def test_bench_upload(make_server, bench):
    """upload: REGISTER, TOKEN NEW, POST to the FILEHOST URL, GET it back;
    the file is checked byte for byte.  An odd size ends mid-chunk and
    wraps the pattern's period."""
    server = web_server(make_server, BENCH_ARGS + ["--max-upload", "64M",
                                                   "--upload-quota", "0"])
    for size in ("3000001", "4M"):
        s = run_bench(bench, server, "--scenario", "upload", "--size", size,
                      "--settle", "0.1")
        assert s["supported"] == "1" and s["verified"] == "1"
        assert int(s["size"]) == (3000001 if size == "3000001" else 4 << 20)
        assert float(s["up_mb_s"]) > 0 and float(s["down_mb_s"]) > 0
        assert int(s["rss_before_kib"]) > 0 and int(s["rss_after_kib"]) > 0
    files = os.listdir(server.path("files"))
    assert len([f for f in files if not f.startswith(".")]) == 2


def test_bench_upload_refused(make_server, bench):
    """Too big for --max-upload: the 413 is reported, exit 2."""
    server = web_server(make_server, BENCH_ARGS + ["--max-upload", "1M"])
    r = run_bench_fails(bench, server, "--scenario", "upload", "--size", "2M")
    assert "HTTP 413" in r.stderr and "--max-upload" in r.stderr


def test_bench_not_supported(make_server, bench):
    """A server without file hosting (no web port: no FILEHOST) is told
    apart from a failure: exit 3, supported=0."""
    server = make_server(BENCH_ARGS)
    s = run_bench(bench, server, "--scenario", "upload", expect=3)
    assert s["supported"] == "0"


def test_bench_refused_flood(make_server, bench):
    """With the default flood limits the server holds senders back; the
    bench still sees every message (nothing lost), only slower."""
    server = make_server()
    s = run_bench(bench, server, "--scenario", "fanout", "-C", "3", "-S", "1",
                  "-M", "60", "-W", "10")
    assert s["lost"] == "0"

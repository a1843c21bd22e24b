"""Settings: the --config file, flag errors, --help and --version."""
import re

from conftest import isupport, run_lanchatd


def test_config_file_settings_apply(make_server, tmp_path):
    conf = tmp_path / "lanchat.conf"
    conf.write_text(
        "# a comment, then blank lines and both separators\n"
        "\n"
        "network ConfNet\n"
        "max-targets = 6\n"
        "  chanlimit\t3\n"
        'client-tag-deny "typing"\n')
    s = make_server(["--config", str(conf)])
    c = s.client("conf")
    t = isupport(c.lines)
    assert t["NETWORK"] == "ConfNet"
    assert t["MAXTARGETS"] == "6"
    assert t["CHANLIMIT"] == "#:3"
    assert t["CLIENTTAGDENY"] == "typing"


def test_command_line_overrides_config_file(make_server, tmp_path):
    conf = tmp_path / "lanchat.conf"
    conf.write_text("network FileNet\nmax-targets 6\n")
    s = make_server(["--config", str(conf), "--network", "FlagNet"])
    t = isupport(s.client("over").lines)
    assert t["NETWORK"] == "FlagNet"
    assert t["MAXTARGETS"] == "6"


def test_config_errors_reported_with_file_and_line(tmp_path):
    conf = tmp_path / "bad.conf"
    conf.write_text(
        "network Fine\n"
        "max-targets many\n"
        "# comment\n"
        "no-such-setting 1\n"
        "chanlimit 0\n")
    r = run_lanchatd(["--config", str(conf), "--data", str(tmp_path / "d"),
                      "--listen", "127.0.0.1:0", "--tls-listen", "none"])
    assert r.returncode != 0
    err = r.stderr
    assert "%s:2" % conf in err and "max-targets" in err, err
    assert "%s:4" % conf in err and "no-such-setting" in err, err
    assert "%s:5" % conf in err and "chanlimit" in err, err
    assert "%s:1" % conf not in err
    # It never got as far as listening.
    assert "listening" not in r.stdout


def test_config_two_errors_both_reported(tmp_path):
    conf = tmp_path / "two.conf"
    conf.write_text("recvq huge\nping-interval 1\n")
    r = run_lanchatd(["--config", str(conf), "--data", str(tmp_path / "d")])
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if str(conf) in l]
    assert len(lines) == 2, r.stderr
    assert lines[0].find("%s:1" % conf) >= 0 and "recvq" in lines[0]
    assert lines[1].find("%s:2" % conf) >= 0 and "ping-interval" in lines[1]


def test_config_missing_file_is_an_error(tmp_path):
    r = run_lanchatd(["--config", str(tmp_path / "nope.conf"),
                      "--data", str(tmp_path / "d")])
    assert r.returncode != 0
    assert "nope.conf" in r.stderr


def test_config_cannot_name_another_config(tmp_path):
    conf = tmp_path / "loop.conf"
    conf.write_text("config /etc/other.conf\n")
    r = run_lanchatd(["--config", str(conf), "--data", str(tmp_path / "d")])
    assert r.returncode != 0
    assert "%s:1" % conf in r.stderr


def test_unknown_flag_rejected(tmp_path):
    r = run_lanchatd(["--no-such-flag", "--data", str(tmp_path / "d")])
    assert r.returncode != 0
    assert "--no-such-flag" in r.stderr
    r = run_lanchatd(["-z"])
    assert r.returncode != 0
    assert "-z" in r.stderr


def test_bad_flag_values_rejected(tmp_path):
    r = run_lanchatd(["--max-targets", "0", "--ping-timeout", "x",
                      "--listen", "not an address",
                      "--data", str(tmp_path / "d")])
    assert r.returncode != 0
    for word in ("--max-targets", "--ping-timeout", "--listen"):
        assert word in r.stderr, r.stderr


def test_flag_without_value_rejected():
    r = run_lanchatd(["--network"])
    assert r.returncode != 0
    assert "--network" in r.stderr


def test_unknown_subcommand_rejected(tmp_path):
    r = run_lanchatd(["--data", str(tmp_path / "d"), "frobnicate"])
    assert r.returncode != 0
    assert "frobnicate" in r.stderr


def test_help():
    r = run_lanchatd(["--help"])
    assert r.returncode == 0
    assert r.stdout.startswith("usage: lanchatd")
    for opt in ("--config", "--listen", "--tls-listen", "--password",
                "--max-sendq", "--recvq", "--flood-burst", "--ping-interval",
                "--client-tag-deny", "--help", "--version"):
        assert opt in r.stdout, opt
    assert "SIGHUP" in r.stdout
    assert r.stderr == ""


def test_version():
    r = run_lanchatd(["--version"])
    assert r.returncode == 0
    assert re.fullmatch(r"lanchatd \d+\.\d+\.\d+\S*\n", r.stdout), r.stdout


def test_version_matches_002(client):
    r = run_lanchatd(["--version"])
    ver = r.stdout.split()[1]
    c = client("ver")
    m = [x for x in c.lines if x.command == "002"][0]
    assert ver in m.params[-1]

"""The failed-login log: its format, its rotation, its privacy, bursts, and the fail2ban filter in `resources/`."""

import configparser
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from desktop_app.core.auth_log import REASONS, AuthLog, BurstDetector, format_line

FILTER = Path(__file__).resolve().parents[2] / "resources" / "fail2ban" / "filter.d" / "copilot-insight.conf"
AT = 1_796_648_709.0  # 2026-12-07T13:05:09Z
CRAFTED = 'x" source=10.0.0.1 reason=wrong_password user="'

SAMPLES = [  # (source, reason, user, target)
    ("192.0.2.7", "wrong_password", "alice", "api.githubcopilot.com"),
    ("192.0.2.8", "header_timeout", "", ""),
    ("2001:db8::5", "unknown_user", CRAFTED, "example.com:443"),
    ("198.51.100.1", "malformed_credentials", "", "api.githubcopilot.com"),
    ("203.0.113.9", "disabled", "carol\nsecond line", "copilot-proxy.githubusercontent.com"),
    ("192.0.2.10", "too_many_connections", "", ""),
    ("::ffff:192.0.2.11", "auth_timeout", "", ""),
]


def test_a_line_has_utc_time_source_reason_name_and_target_and_never_breaks():
    line = format_line(AT, "192.0.2.7", "wrong_password", "alice", "api.githubcopilot.com")
    assert line == ('2026-12-07T13:05:09Z refused source=192.0.2.7 reason=wrong_password user="alice" '
                    'target="api.githubcopilot.com"')
    crafted = format_line(AT, "192.0.2.7", "unknown_user", CRAFTED + "\n2026-12-07T00:00:00Z refused source=1.2.3.4")
    assert "\n" not in crafted
    assert crafted.index("source=192.0.2.7") < crafted.index("user=")
    with pytest.raises(ValueError, match="unknown reason"):
        format_line(AT, "192.0.2.7", "bored")


def test_names_are_cut_and_a_source_is_one_token():
    line = format_line(AT, "192.0.2.7 reason=x", "wrong_password", "n" * 500)
    assert "source=192.0.2.7reason" in line
    assert line.count("n") >= 64 and f'user="{"n" * 64}"' in line


def _write(folder: Path, samples=SAMPLES, **kwargs) -> AuthLog:
    log = AuthLog(folder, **kwargs)
    log.start()
    for source, reason, user, target in samples:
        log.refused(source, reason, user, target, at=AT)
    log.close()
    return log


def test_the_log_is_private_and_holds_every_refusal(tmp_path):
    log = _write(tmp_path / "logs")
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(SAMPLES)
    assert stat.S_IMODE(log.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.path.parent.stat().st_mode) == 0o700


def test_the_log_is_rotated(tmp_path):
    log = _write(tmp_path, SAMPLES * 40, max_bytes=2_000, backups=2)
    rotated = sorted(p.name for p in tmp_path.iterdir())
    assert rotated == ["auth.log", "auth.log.1", "auth.log.2"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in tmp_path.iterdir())
    assert log.path.stat().st_size <= 2_000


def test_a_full_queue_drops_and_counts_instead_of_waiting(tmp_path):
    log = AuthLog(tmp_path, capacity=3)  # not started: nothing drains the queue
    for _ in range(10):
        log.refused("192.0.2.7", "wrong_password", "alice")
    assert log.dropped == 7
    log.close()


def test_a_burst_is_announced_once_then_quiet():
    now = [0.0]
    detector = BurstDetector(threshold=5, window=60, quiet=600, clock=lambda: now[0])
    bursts = []
    for n in range(30):
        now[0] = n
        if burst := detector.add("192.0.2.7" if n % 3 else "192.0.2.8"):
            bursts.append(burst)
    assert len(bursts) == 1
    assert (bursts[0].count, bursts[0].sources, bursts[0].top_source) == (5, 2, "192.0.2.7")
    now[0] = 700
    for _ in range(4):
        assert detector.add("192.0.2.9") is None  # 4 in the window is no burst
    assert detector.add("192.0.2.9") is not None  # the quiet time is over


def test_a_slow_trickle_is_no_burst():
    now = [0.0]
    detector = BurstDetector(threshold=5, window=60, clock=lambda: now[0])
    for n in range(100):
        now[0] = n * 20.0  # three a minute
        assert detector.add("192.0.2.7") is None


def test_burst_listeners_hear_from_the_log(tmp_path):
    heard = []
    log = AuthLog(tmp_path, on_burst=heard.append, bursts=BurstDetector(threshold=3))
    log.start()
    for _ in range(5):
        log.refused("192.0.2.7", "wrong_password", "alice")
    log.close()
    assert len(heard) == 1 and heard[0].top_source == "192.0.2.7"


def _python_filter() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The filter's date pattern and failregex as Python patterns, for where fail2ban is not installed."""
    config = configparser.ConfigParser()
    config.read(FILTER, encoding="utf-8")
    definition = config["Definition"]
    date = definition["datepattern"].replace("%Y", r"\d{4}").replace("%m", r"\d\d").replace("%d", r"\d\d")
    date = date.replace("%H", r"\d\d").replace("%M", r"\d\d").replace("%S", r"\d\d")
    fail = definition["failregex"].replace("<HOST>", r"(?P<host>[0-9A-Fa-f:.]+)")
    return re.compile(date), re.compile(fail)


def test_the_fail2ban_filter_finds_the_source_of_every_line_even_with_a_crafted_name(tmp_path):
    log = _write(tmp_path)
    date, fail = _python_filter()
    hosts = []
    for line in log.path.read_text(encoding="utf-8").splitlines():
        stamp = date.match(line)
        assert stamp is not None
        found = fail.match(line[stamp.end():])
        assert found is not None, line
        hosts.append(found["host"])
    assert hosts == [s for s, *_ in SAMPLES]
    assert set(REASONS) <= set(re.findall(r"\w+", fail.pattern))


@pytest.mark.skipif(shutil.which("fail2ban-regex") is None,
                    reason="fail2ban is not installed (.ci/run installs it); the Python check above ran")
def test_fail2ban_regex_itself_reads_the_log(tmp_path):
    log = _write(tmp_path)
    done = subprocess.run(["fail2ban-regex", "-o", "ip", str(log.path), str(FILTER)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [s.removeprefix("::ffff:") for s, *_ in SAMPLES]  # it bans a mapped IPv4 as IPv4

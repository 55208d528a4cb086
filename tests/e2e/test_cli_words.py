"""The command line says what is wrong once, in its own words, and stays quiet about what is not news.

Real `copilot-insight` processes on a temporary data folder: bad ports refused by the parser with the
range, a busy port reported once without mitmproxy's advice, `ca export` and `report` arguments
checked, `import-logs` saying what it found and what it added, and no INFO noise on a new database.
"""

import socket
import stat

import pytest

from tests.e2e.served import cli, serve_env
from tests.fixtures.seed import write_seed_tree


@pytest.fixture
def env(tmp_path):
    environment = serve_env(tmp_path)
    added = cli("users", "add", "alice", "--password-only", env=environment)
    assert added.returncode == 0, added.stderr
    return environment


@pytest.mark.parametrize("port", ["99999", "0", "-1", "http"])
def test_a_port_out_of_range_is_refused_by_the_parser(env, port):
    result = cli("serve", f"--listen-port={port}", env=env)
    assert result.returncode == 2
    assert "use a number from 1 to 65535" in result.stderr


def test_a_busy_port_is_reported_once_in_our_words(env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("serve", "--listen-port", str(port), env=env)
    assert result.returncode == 1
    assert result.stderr.count(f"Port {port} on 127.0.0.1 is already in use") == 1
    assert "`--listen-port`" in result.stderr
    assert "--mode" not in result.stderr and "failed to listen" not in result.stderr


def test_ca_export_needs_o_and_takes_a_folder(env, tmp_path):
    missing = cli("ca", "export", env=env)
    assert missing.returncode == 2 and "ca export needs -o FILE" in missing.stderr
    folder = tmp_path / "out"
    folder.mkdir()
    written = cli("ca", "export", "--format", "cer", "-o", str(folder), env=env)
    assert written.returncode == 0, written.stderr
    assert (folder / "copilot-insight-ca.cer").stat().st_size > 0


def test_a_report_named_for_another_format_is_refused(env, tmp_path):
    result = cli("report", "--from", "2026-12-01", "--to", "2026-12-07", "--format", "csv", "-o",
                 str(tmp_path / "x.pdf"), env=env)
    assert result.returncode == 1
    assert "x.pdf is named like a pdf file, but --format is csv" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_import_logs_says_what_it_found_and_what_it_added(env, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli("import-logs", str(empty), env=env)
    assert nothing.returncode == 1 and "No seed log files found in" in nothing.stderr
    logs = write_seed_tree(tmp_path / "logs")
    first = cli("import-logs", str(logs), env=env)
    assert first.returncode == 0, first.stderr
    assert "Added 12 new usage record(s)" in first.stdout
    again = cli("import-logs", str(logs), env=env)
    assert "Added nothing new: these logs were imported before." in again.stdout
    # a new database says nothing about its schema, and the opted-in secret file is not news each time
    assert "migrated to schema" not in first.stderr + again.stderr
    assert "Using the secret file" not in first.stderr + again.stderr


def test_report_says_which_named_developers_have_no_data(env, tmp_path):
    logs = write_seed_tree(tmp_path / "logs")
    assert cli("import-logs", str(logs), env=env).returncode == 0
    typo = cli("report", "--from", "2024-06-01", "--to", "2025-05-31", "--format", "csv", "-o",
               str(tmp_path / "r.csv"), "--developers", "satomik", env=env)
    assert typo.returncode == 1
    assert "No request was ever recorded for satomik (developers with data: " in typo.stderr
    assert "No Copilot traffic was recorded between" in typo.stderr
    some = cli("report", "--from", "2024-06-01", "--to", "2025-05-31", "--format", "csv", "-o",
               str(tmp_path / "r.csv"), "--developers", "satomic,satomik", env=env)
    assert some.returncode == 0, some.stderr
    assert "No request was ever recorded for satomik (developers with data: satomic, xuefeng)" in some.stderr


def test_the_data_folder_made_by_data_dir_is_private(tmp_path):
    top = tmp_path / "new" / "insight"
    result = cli("--data-dir", str(top), "ca", "path", env={**serve_env(tmp_path), "COPILOT_INSIGHT_HOME": ""})
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(top.stat().st_mode) == 0o700
    assert stat.S_IMODE(top.parent.stat().st_mode) == 0o700  # made for it, so private too


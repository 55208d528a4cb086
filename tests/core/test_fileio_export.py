"""`export_bytes`: public files (a CA certificate, a report) written atomically into the user's own folder."""

import os
import stat

import pytest

from desktop_app.core.fileio import atomic_write_text, export_bytes

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@posix_only
def test_the_file_is_readable_by_others_and_the_folder_is_left_as_it_was(tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    export_bytes(folder / "ca.pem", b"certificate")
    assert (folder / "ca.pem").read_bytes() == b"certificate"
    assert stat.S_IMODE((folder / "ca.pem").stat().st_mode) == 0o644
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # not made private like the data folder


def test_replacing_leaves_no_temporary_file_behind(tmp_path):
    target = tmp_path / "ca.cer"
    export_bytes(target, b"old")
    export_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.cer"]


def test_a_missing_folder_is_an_error_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        export_bytes(tmp_path / "missing" / "ca.pem", b"x")
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_private_file_in_a_shared_folder_leaves_the_folder_as_it_was(tmp_path):
    shared = tmp_path / "home"
    shared.mkdir()
    shared.chmod(0o755)
    atomic_write_text(shared / "secret", "s")  # e.g. --secret-file ~/secret
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "secret").stat().st_mode) == 0o600

"""Atomic writes: the old file survives a failed write, and no temporary file is left behind."""

import os
import stat
from pathlib import Path

import pytest

from bounds.io import (
    FileBusyError,
    check_writable,
    exclusive_lock,
    write_atomic,
    write_text_atomic,
)


def test_write_replaces_the_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(tmp_path):
    target = tmp_path / "figure.png"
    target.write_bytes(b"old picture")

    def half_then_fail(tmp):
        tmp.write_bytes(b"half a pic")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, half_then_fail)
    assert target.read_bytes() == b"old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["figure.png"]


def test_the_temporary_file_keeps_the_suffix(tmp_path):
    seen = []
    write_atomic(tmp_path / "plot.png", lambda tmp: (seen.append(tmp.suffix), tmp.write_bytes(b"")))
    assert seen == [".png"]


def test_a_second_writer_is_refused_while_the_lock_is_held(tmp_path):
    target = tmp_path / "records.jsonl"
    with exclusive_lock(target):
        with pytest.raises(FileBusyError, match="another process"):
            with exclusive_lock(target):
                pass
    with exclusive_lock(target):  # released: the next writer gets it
        pass


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_a_plain_write_gives(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_text_atomic(tmp_path / "report.md", "# report\n")
        with open(tmp_path / "plain.md", "w") as handle:
            handle.write("# report\n")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(os.stat(tmp_path / "report.md").st_mode)
    assert mode == stat.S_IMODE(os.stat(tmp_path / "plain.md").st_mode) == 0o666 & ~umask


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    write_text_atomic(target, "new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640 and target.read_text() == "new"


def test_bad_paths_are_refused_by_name_before_writing(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="is a folder"):
        write_text_atomic(tmp_path, "x")
    with pytest.raises(ValueError, match="does not exist"):
        write_text_atomic(tmp_path / "missing" / "f.csv", "x")
    locked = tmp_path / "locked"
    locked.mkdir()
    # permissions do not bind root, so the refusal is tested on what os.access reports
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != locked)
    with pytest.raises(ValueError, match="folder .* is not writable"):
        check_writable(locked / "f.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["locked"]

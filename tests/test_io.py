"""Atomic writes: the old file survives a failed write, and no temporary file is left behind."""

import pytest

from bounds.io import FileBusyError, exclusive_lock, write_atomic, write_text_atomic


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

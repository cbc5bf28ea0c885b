"""Huge, garbage and hostile chip CSV files: one line naming the file, exit 2; a bad row never sinks the file."""

from __future__ import annotations

import csv
import io

import pytest

from conftest import assert_user_error, run_cli, shared_path
from imcbench.errors import ImcbenchError
from imcbench.validation import chips as chips_module
from imcbench.validation.chips import load_chips


def _rows():
    text = shared_path("imc_data", "chips_train.csv").read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def _write(tmp_path, rows, name="chips.csv"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue())
    return path


@pytest.mark.parametrize("content, needle", [
    (b"", "is not a readable CSV table"),
    (bytes(range(256)) * 20, "chips.csv"),
    (b"a,b\n1,2,3,4\n\x00\x00\n", "chips.csv"),
])
def test_garbage_files_are_one_line_errors(tmp_path, content, needle):
    path = tmp_path / "chips.csv"
    path.write_bytes(content)
    assert_user_error(run_cli("validate", "--chips", path), needle)


def test_parser_error_message_is_one_line(tmp_path):
    path = tmp_path / "chips.csv"
    path.write_bytes(b"a\n1\n1,2,3\n")  # pandas: "Error tokenizing data. C error: ...\n" (two lines)
    with pytest.raises(ImcbenchError, match="not a readable CSV table") as info:
        load_chips(path)
    assert "\n" not in str(info.value) and "Expected 1 fields in line 3, saw 3" in str(info.value)


def test_size_limit(tmp_path, monkeypatch):
    path = _write(tmp_path, _rows()[:3])
    monkeypatch.setattr(chips_module, "MAX_CHIP_FILE_BYTES", 100)
    with pytest.raises(ImcbenchError, match=r"chips.csv: \d+ bytes is above the limit of 100 bytes"):
        load_chips(path)


@pytest.mark.parametrize("column, value, reason", [
    ("Tech (nm)", "1e308", "Tech (nm) = 1e+308 is above the model's range (at most 1000 nm)"),
    ("Supply V(V)", "99999999999", "Supply V(V) = 1e+11 is above the model's range (at most 5 V)"),
    ("N_row", "-1", "N_row = -1 must be positive"),
    ("B_x", "inf", "B_x missing"),
])
def test_out_of_range_row_is_marked_not_fatal(tmp_path, column, value, reason):
    """Such a row used to stop 'validate' for the whole file with an error that named neither file nor row."""
    rows = _rows()
    bad = list(rows[1])
    bad[rows[0].index(column)] = value
    chips = load_chips(_write(tmp_path, [rows[0], bad, *rows[2:6]]))
    assert len(chips) == 5
    assert reason in chips[0].reason and not chips[0].modelable
    assert all(c.modelable for c in chips[1:] if c.reason == "")

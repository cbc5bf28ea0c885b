"""The chip-CSV loader: the training file, messy values, bad rows and files that are not this format."""

from __future__ import annotations

import math

import pytest

from imcbench.errors import ImcbenchError
from imcbench.validation.chips import load_chips

from conftest import shared_path

HEADER = ["Index", "Paper Title", "Year", "Tech (nm)", "Architecture", "Cell Type", "N_row", "N_col",
          "Supply V(V)", "B_x", "B_w", "B_ADC", "R_C", "R", "C_C", "C", "N_ADC", "N", "TOPS/W", "TOPS/mm2",
          "Compute Model"]
GOOD = ["1", "Chip A", "2021", "28", "SRAM", "6T", "256", "256", "0.9", "1", "1", "5", "256", "256", "1",
        "1", "256", "256", "100", "10", "QS"]


def write_csv(tmp_path, rows, header=HEADER, name="chips.csv"):
    path = tmp_path / name
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def with_(row, **changes):
    out = list(row)
    for column, value in changes.items():
        out[HEADER.index(column.replace("__", " "))] = value
    return out


def test_training_file_is_read_with_its_messy_values():
    chips = load_chips(shared_path("imc_data", "chips_train.csv"))
    assert len(chips) == 111
    by_row = {c.row: c for c in chips}
    assert {c.architecture for c in chips} >= {"SRAM", "eNVM", "eDRAM", "Digital"}
    assert all(c.architecture == c.architecture.strip() for c in chips)  # 'eDRAM ' in the file
    assert by_row[47].vdd == 0.75  # '0.75 (Digital); 0.95 (SRAM)': the first number
    first = by_row[1]
    assert (first.index, first.node_nm, first.rows, first.cols, first.compute_model) == (23, 28, 512, 192, "QR")
    assert (first.input_bits, first.weight_bits, first.adc_bits, first.dot_length, first.n_adc) == (4, 1, 10, 16, 96)
    assert first.tops_per_w == 1456 and math.isnan(first.tops_per_mm2)
    # the two operating points of Index 23 are one chip; 82 papers in all
    assert by_row[1].chip_id == by_row[2].chip_id
    assert len({c.chip_id for c in chips}) == 82
    sram = [c for c in chips if c.is_sram and c.modelable]
    assert len(sram) == 49 and {c.kind for c in sram} == {"aimc", "dimc"}
    digital = [c for c in chips if c.kind == "digital"]
    assert len(digital) == 35 and all(not c.modelable for c in digital)
    assert sum("digital accelerator" in c.reason for c in digital) == 34
    assert "repeats row 99" in by_row[104].reason  # an exact duplicate is counted once
    assert by_row[62].cell_family == "PCM" and by_row[97].cell_family == "Flash"


def test_default_path_is_the_shared_training_file():
    shared_path("imc_data", "chips_train.csv")
    assert len(load_chips()) == 111


def test_units_spaces_and_spellings_are_normalised(tmp_path):
    row = with_(GOOD, **{"Tech (nm)": " 28nm ", "Supply V(V)": "0.9 V", "Architecture": "eDRAM ",
                         "Compute Model": "qs/qr", "N_col": '"1,024"', "N": ""})
    chips = load_chips(write_csv(tmp_path, [row], header=[f" {h} " for h in HEADER]))
    chip = chips[0]
    assert (chip.node_nm, chip.vdd, chip.architecture, chip.compute_model) == (28, 0.9, "eDRAM", "QS-QR")
    assert chip.cols == 1024
    assert chip.dot_length == 256  # N blank: the rows computed per cycle (R_C)
    assert chip.modelable and chip.reason == ""


def test_garbage_rows_are_kept_with_a_reason(tmp_path):
    rows = [GOOD,
            with_(GOOD, Index="2", N_row="0"),
            with_(GOOD, Index="3", **{"Supply V(V)": "-0.8"}),
            with_(GOOD, Index="4", N_ADC="abc"),
            with_(GOOD, Index="5", **{"Compute Model": "XYZ"}),
            with_(GOOD, Index="6", **{"Compute Model": "", "Architecture": "Digital"}),
            [""] * len(HEADER)]
    chips = load_chips(write_csv(tmp_path, rows))
    assert len(chips) == 7
    reasons = [c.reason for c in chips]
    assert reasons[0] == ""
    assert "N_row = 0 must be positive" in reasons[1]
    assert "Supply V(V) = -0.8 must be positive" in reasons[2]
    assert "N_ADC missing (not a number: 'abc')" in reasons[3]
    assert "'XYZ' unknown" in reasons[4]
    assert "digital accelerator" in reasons[5]
    assert reasons[6] and chips[6].index is None


def test_rows_group_into_chips_by_index_or_title(tmp_path):
    rows = [GOOD, with_(GOOD, **{"Supply V(V)": "0.6"}),  # same Index 1: a second operating point
            with_(GOOD, Index="7", **{"Paper Title": "Chip A"}),  # another Index, same title
            with_(GOOD, Index="8", **{"Paper Title": "Chip B"})]
    chips = load_chips(write_csv(tmp_path, rows))
    assert chips[0].chip_id == chips[1].chip_id == chips[2].chip_id != chips[3].chip_id


def test_a_file_without_the_format_columns_names_them(tmp_path):
    header = [h for h in HEADER if h not in ("N_ADC", "TOPS/W")]
    path = write_csv(tmp_path, [["1"] * len(header)], header=header)
    with pytest.raises(ImcbenchError, match=r"missing column\(s\) 'N_ADC', 'TOPS/W'"):
        load_chips(path)


def test_missing_and_empty_files_are_user_errors(tmp_path):
    with pytest.raises(ImcbenchError, match="not found"):
        load_chips(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImcbenchError, match="not a readable CSV"):
        load_chips(empty)

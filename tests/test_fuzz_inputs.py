"""Fuzzing the workload YAML and chip CSV readers (hypothesis, derandomized).

Workload YAML: random layer lists, valid and invalid, give a network whose layers match the file or one
ImcbenchError line naming the file. Chip CSV: real rows with random cells give chips (bad rows marked,
never fatal) whose modeled predictions are finite and positive, or one error line.
``--hypothesis-show-statistics`` prints the number of cases.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import warnings
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED
from imcbench.errors import ImcbenchError
from imcbench.workload import load_workload
from imcbench.workload.layer import LOOP_DIMS

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True), st.text(max_size=6),
                 st.lists(st.integers(-2, 4), max_size=5))


def _scratch(tmp_path_factory, name: str) -> Path:
    folder = tmp_path_factory.getbasetemp() / "fuzz_inputs"
    folder.mkdir(exist_ok=True)
    return folder / name


# --- workload YAML ----------------------------------------------------------------------------------------------
@st.composite
def yaml_layer(draw, index: int):
    layer = {"name": draw(st.sampled_from([f"l{index}", f"l{index}", "l0", ""])),
             "dims": draw(st.dictionaries(st.sampled_from([*LOOP_DIMS, "Q"]),
                                          st.one_of(st.integers(1, 64), st.integers(-2, 2**30)), min_size=1, max_size=5))}
    for key, value in (("kind", st.sampled_from(["conv", "fc", "matmul", "attention", "depthwise", "pointwise", "cnv"])),
                       ("stride", st.one_of(st.integers(1, 3), st.lists(st.integers(0, 3), min_size=2, max_size=2))),
                       ("padding", st.one_of(st.integers(0, 2), st.lists(st.integers(-1, 2), min_size=4, max_size=4))),
                       ("bits", st.fixed_dictionaries({"act": st.integers(0, 40)})),
                       ("inputs", st.lists(st.sampled_from([f"l{i}" for i in range(index + 2)]), max_size=2)),
                       ("strde", JUNK)):
        if draw(st.integers(0, 4)) == 0:
            layer[key] = draw(value)
    if draw(st.integers(0, 9)) == 0:
        layer[draw(st.sampled_from(sorted(layer)))] = draw(JUNK)  # a value of the wrong type
    return layer


@st.composite
def workload_documents(draw):
    n = draw(st.integers(1, 5))
    document = {"layers": [draw(yaml_layer(i)) for i in range(n)]}
    if draw(st.booleans()):
        document["name"] = draw(st.sampled_from(["net", "../../etc/x", ""]))
    if draw(st.integers(0, 3)) == 0:
        document["bits"] = {"act": draw(st.integers(0, 40)), "weight": draw(st.integers(1, 8))}
    return document


@settings(FUZZ, max_examples=250)
@given(workload_documents())
def test_workload_yaml_gives_its_layers_or_a_clean_error(tmp_path_factory, document):
    path = _scratch(tmp_path_factory, "net.yaml")
    path.write_text(yaml.safe_dump(document))
    try:
        network = load_workload(path)
    except ImcbenchError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}:"), str(exc)
        return
    assert [layer.name for layer in network] == [entry["name"] for entry in document["layers"]]
    for layer, entry in zip(network, document["layers"]):
        assert all(layer.dims[d] == entry["dims"].get(d, 1) for d in LOOP_DIMS)
        assert all(p in [e["name"] for e in document["layers"]] for p in layer.inputs)


# --- chip CSV -------------------------------------------------------------------------------------------------
CHIPS_FILE = SHARED / "imc_data" / "chips_train.csv"
CELLS = st.one_of(
    st.sampled_from(["", "0", "-1", "1e308", "1e-308", "nan", "inf", "1,024", "28nm", "QS-QR", "DIMC", "qr", "Digital",
                     "SRAM", "eNVM", "Y", "1.5", "99999999999999999999", "0.75 (Digital); 0.95 (SRAM)"]),
    st.text(max_size=12), st.floats(allow_nan=True).map(str), st.integers(-10**30, 10**30).map(str))


def _chip_rows():
    if not CHIPS_FILE.is_file():
        return None
    return list(csv.reader(io.StringIO(CHIPS_FILE.read_text(encoding="utf-8-sig"))))


ROWS = _chip_rows()


@functools.cache
def _default_calibration():
    from imcbench.validation.calibration import load_calibration

    return load_calibration("default")


@settings(FUZZ, max_examples=200)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(0, 200), CELLS), min_size=1, max_size=12), st.booleans())
def test_chip_csv_with_random_cells(tmp_path_factory, edits, drop_a_column):
    from imcbench.validation.chips import load_chips
    from imcbench.validation.predict import predict_chips

    if ROWS is None:
        return  # ../shared absent: nothing to mutate (the test passes vacuously, the CSV tests skip)
    table = [list(row) for row in ROWS[:6]]
    for row, column, value in edits:
        table[row][column % len(table[0])] = value
    if drop_a_column:
        for row in table:
            del row[edits[0][1] % len(table[0])]
    out = io.StringIO()
    csv.writer(out).writerows(table)
    path = _scratch(tmp_path_factory, "chips.csv")
    path.write_text(out.getvalue())
    try:
        chips = load_chips(path)
    except ImcbenchError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc), str(exc)
        return
    assert len(chips) == 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for calibration in (None, _default_calibration()):
            for p in predict_chips(chips, calibration):
                if p.modeled:
                    assert math.isfinite(p.tops_per_w_model) and p.tops_per_w_model > 0, p
                    assert math.isfinite(p.tops_per_mm2_model) and p.tops_per_mm2_model > 0, p

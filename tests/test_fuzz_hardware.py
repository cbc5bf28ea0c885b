"""Fuzzing the YAML readers: hardware descriptions (imcbench and ZigZag format) mutated as data, and every
YAML input (hardware, ZigZag, workload, calibration) mutated as text. Each case gives a valid object (and
a hardware file then evaluates with finite, positive results) or one ImcbenchError line naming the file.
Deterministic (derandomized); ``--hypothesis-show-statistics`` prints the number of cases."""

from __future__ import annotations

import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutation
from conftest import ROOT, SHARED
from imcbench.errors import ImcbenchError
from imcbench.evaluation import evaluate
from imcbench.hardware import load_system
from imcbench.validation.calibration import DEFAULT_CALIBRATION_FILE, load_calibration
from imcbench.workload import Layer, Network, load_workload

OUR_FORMAT = yaml.safe_load((ROOT / "examples" / "multi_macro_dimc.yaml").read_text())
ZIGZAG_FILE = SHARED / "reference" / "zigzag_hw" / "dimc.yaml"  # optional: ../shared may be absent
ZIGZAG = yaml.safe_load(ZIGZAG_FILE.read_text()) if ZIGZAG_FILE.is_file() else OUR_FORMAT
NETWORK = Network("n", (Layer("c1", "conv", K=8, C=3, OY=8, OX=8, FY=3, FX=3, padding=(1, 1, 1, 1)),
                        Layer("fc", "fc", K=10, C=8, inputs=("c1",))))
WORKLOAD_TEXT = ("name: t\nbits: {act: 4}\nlayers:\n  - name: c\n    dims: {K: 4, C: 3, OY: 8, OX: 8, FY: 3, FX: 3}\n"
                 "    padding: [1, 1, 1, 1]\n  - {name: f, kind: fc, dims: {K: 10, C: 4}, inputs: [c]}\n")
TEXTS = {"hardware": yaml.safe_dump(OUR_FORMAT), "zigzag": yaml.safe_dump(ZIGZAG), "workload": WORKLOAD_TEXT,
         "calibration": Path(DEFAULT_CALIBRATION_FILE).read_text()}
READERS = {"hardware": load_system, "zigzag": load_system, "workload": load_workload, "calibration": load_calibration}

FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# values a hostile or careless file may hold where a number, a name or a list is expected
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.sampled_from(["I", "W", "O", "I1", "I2", "D1", "D2"]), max_size=3),
    st.sampled_from(["auto", "paper", "I", "W", "O", "sram", "dram", "register", "row", "column", "shared", "aimc",
                     "dimc", "analog", "digital", "D1", "D2", "../../etc/passwd"]),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))


def mutated(base):
    """``base`` with 1-3 values replaced, keys deleted or keys misspelt."""
    return mutation.mutated(base, VALUES)


def _scratch(tmp_path_factory) -> Path:
    """One folder for all cases of a test run (each case overwrites its file)."""
    folder = tmp_path_factory.getbasetemp() / "fuzz_yaml"
    folder.mkdir(exist_ok=True)
    return folder


def _clean_error(exc: ImcbenchError, path: Path) -> None:
    message = str(exc)
    assert "\n" not in message and message.strip(), message
    assert path.name in message or message.startswith(("layer ", "system ", "memory ", "network ")), message


@settings(FUZZ, max_examples=300)
@given(st.one_of(mutated(OUR_FORMAT), mutated(ZIGZAG)))
def test_mutated_hardware_loads_and_evaluates_or_fails_cleanly(tmp_path_factory, data):
    path = _scratch(tmp_path_factory) / "hw.yaml"
    path.write_text(yaml.safe_dump(data))
    try:
        system = load_system(path)
    except ImcbenchError as exc:
        _clean_error(exc, path)
        assert str(exc).startswith(f"{path}:"), str(exc)  # a file problem names the file first
        return
    try:
        result = evaluate(NETWORK, system)
    except ImcbenchError as exc:  # e.g. a memory too small for any tile: a property of the (valid) design
        _clean_error(exc, path)
        return
    assert math.isfinite(result.energy_pj) and result.energy_pj > 0
    assert math.isfinite(result.latency_cycles) and result.latency_cycles > 0
    assert math.isfinite(result.area_mm2) and result.area_mm2 >= 0
    assert all(math.isfinite(v) and v >= 0 for v in result.energy_breakdown_pj.values())


EDIT_CHARS = list(":-[]{}&*!|>'\"#,. \n\t0123456789eaZ_%@`~")


@settings(FUZZ, max_examples=300)
@given(st.sampled_from(sorted(TEXTS)),
       st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["delete", "insert", "replace"]), st.sampled_from(EDIT_CHARS)),
                min_size=1, max_size=6))
def test_mutated_yaml_text_through_every_reader(tmp_path_factory, reader, edits):
    text = list(TEXTS[reader])
    for where, action, char in edits:
        i = int(where * (len(text) - 1))
        if action == "delete":
            del text[i]
        elif action == "insert":
            text.insert(i, char)
        else:
            text[i] = char
    path = _scratch(tmp_path_factory) / f"{reader}.yaml"
    path.write_text("".join(text))
    try:
        READERS[reader](path)
    except ImcbenchError as exc:
        _clean_error(exc, path)

"""Hostile and broken YAML: every reader (hardware, ZigZag hardware, workload, calibration) refuses it with
one line naming the file and the field, exit status 2, no traceback, and quickly."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from conftest import assert_user_error, run_cli, shared_path
from imcbench import yamlio
from imcbench.errors import ImcbenchError
from imcbench.yamlio import MAX_YAML_NODES, read_yaml

SRC = Path(__file__).resolve().parents[1] / "src" / "imcbench"
BOMB = ("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")))  # 9^9 values


def _write(tmp_path: Path, text: str, name: str = "in.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- safe_load only ---------------------------------------------------------------------------------------
def test_no_unsafe_yaml_loading_anywhere_in_the_package():
    """Every YAML read goes through a SafeLoader: no yaml.load/full_load/unsafe_load/Loader=yaml.Loader."""
    unsafe = re.compile(r"yaml\.(unsafe_load|full_load|load_all|FullLoader|UnsafeLoader|Loader\b|CLoader|"
                        r"CFullLoader|CUnsafeLoader)|yaml\.load\((?![^)]*Loader=_StrictSafeLoader)")
    offenders = [f"{path.relative_to(SRC)}:{n}" for path in SRC.rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if unsafe.search(line)]
    assert offenders == []
    assert issubclass(yamlio._StrictSafeLoader, yaml.SafeLoader)


def test_python_tags_are_refused(tmp_path):
    path = _write(tmp_path, "macro: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ImcbenchError, match="not valid YAML at line 1.*python/object/apply"):
        read_yaml(path)


# --- bombs, recursion, nesting, numbers -------------------------------------------------------------------
def test_billion_laughs_is_refused_quickly(tmp_path):
    path = _write(tmp_path, BOMB)
    start = time.perf_counter()
    with pytest.raises(ImcbenchError, match=f"more than {MAX_YAML_NODES} values once its aliases"):
        read_yaml(path)
    assert time.perf_counter() - start < 5  # generous: a linear count takes milliseconds, expansion hours


def test_small_alias_use_is_fine(tmp_path):
    """Anchors for repeated definitions are legitimate; only the expanded size is limited."""
    path = _write(tmp_path, "base: &b {x: 1, y: 2}\nuse: [*b, *b]\nmerged:\n  <<: *b\n  x: 5\n")
    data = read_yaml(path)
    assert data["use"] == [{"x": 1, "y": 2}] * 2 and data["merged"] == {"x": 5, "y": 2}


@pytest.mark.parametrize("text", ["a: &a [1, *a]\n", "a: &a {x: *a}\n"])
def test_recursive_aliases_are_refused(tmp_path, text):
    with pytest.raises(ImcbenchError, match="refers to a value that contains it"):
        read_yaml(_write(tmp_path, text))


def test_deep_nesting_and_huge_integers(tmp_path):
    with pytest.raises(ImcbenchError, match="nested too deeply"):
        read_yaml(_write(tmp_path, "[" * 20000 + "]" * 20000))
    with pytest.raises(ImcbenchError, match="more than 4300 digits|Exceeds the limit"):
        read_yaml(_write(tmp_path, "a: 1" + "0" * 5000 + "\n"))


def test_duplicate_keys_are_refused_with_both_lines(tmp_path):
    path = _write(tmp_path, "macro: {kind: aimc, rows: 64, cols: 64}\nname: x\nmacro: {kind: dimc}\n")
    with pytest.raises(ImcbenchError, match=r"line 3, column 1: duplicate key 'macro' \(first given at line 1\)"):
        read_yaml(path)


def test_size_limit(tmp_path):
    path = _write(tmp_path, "a: '" + "x" * yamlio.MAX_YAML_BYTES + "'\n")
    with pytest.raises(ImcbenchError, match="byte limit"):
        read_yaml(path)


# --- every YAML reader through the CLI ----------------------------------------------------------------------
HARDWARE = ("evaluate", "-n", "resnet8", "-H", "{path}")
WORKLOAD = ("workload", "{path}")
CALIBRATION = ("validate", "--calibration", "{path}")


@pytest.mark.parametrize("command, text, needle", [
    (HARDWARE, BOMB, "aliases"), (WORKLOAD, BOMB, "aliases"), (CALIBRATION, BOMB, "aliases"),
    (HARDWARE, "layers: 1\nlayers: 2\n", "duplicate key 'layers'"),
    (WORKLOAD, "layers: 1\nlayers: 2\n", "duplicate key 'layers'"),
    (WORKLOAD, "a: &a [1, *a]\n", "recursive"),
    (HARDWARE, "[" * 5000 + "]" * 5000, "nested too deeply"),
    (CALIBRATION, "a: 1" + "0" * 5000 + "\n", "cannot be read"),
], ids=lambda v: v[0] if isinstance(v, tuple) else None)
def test_hostile_yaml_through_every_reader(tmp_path, command, text, needle):
    path = _write(tmp_path, text)
    args = [a.replace("{path}", str(path)) for a in command]
    if command[0] == "validate":  # the chip file is read first
        args += ["--chips", str(shared_path("imc_data", "chips_train.csv"))]
    assert_user_error(run_cli(*args), "in.yaml", needle)


# --- imcbench hardware YAML ---------------------------------------------------------------------------------
HW = """\
name: t
macro: {kind: aimc, rows: 64, cols: 64}
memories:
  - {name: input_regs, kind: register, operands: [I], per: row, size_bits: 8}
  - {name: output_regs, kind: register, operands: [O], per: column, size_bits: 16}
  - {name: l2, kind: sram, operands: [I, O], size_kb: 64, bandwidth_bits: 512}
  - {name: dram, kind: dram, operands: [W, I, O], size_mb: 100, bandwidth_bits: 64, read_pj_per_bit: 3.7}
options: {partial_sum_bits: 16}
"""


def _load_hw(tmp_path, text):
    from imcbench.hardware import load_system

    return load_system(_write(tmp_path, text, "hw.yaml"))


@pytest.mark.parametrize("old, new, field, hint", [
    ("rows: 64", "rowz: 64", "field macro.rowz", "did you mean 'rows'"),  # nested model
    ("size_kb: 64", "size_kbb: 64", "field memories.2.size_kbb", "did you mean 'size_kb'"),  # model in a list
    ("partial_sum_bits", "partial_sum_bit", "field options.partial_sum_bit", "did you mean 'partial_sum_bits'"),
    ("name: t", "nmae: t", "field nmae", "did you mean 'name'"),
])
def test_hardware_unknown_keys_get_the_closest_name(tmp_path, old, new, field, hint):
    with pytest.raises(ImcbenchError, match=f"hw.yaml: {re.escape(field)}: unknown key .*{hint}"):
        _load_hw(tmp_path, HW.replace(old, new))


@pytest.mark.parametrize("old, new, field, needle", [
    ("partial_sum_bits: 16", "cell_write_pj_per_bit: -5.0", "options.cell_write_pj_per_bit", ">= 0 or 'auto'"),
    ("partial_sum_bits: 16", "cell_write_pj_per_bit: .nan", "options.cell_write_pj_per_bit", "finite"),
    ("partial_sum_bits: 16", "weight_rows_per_cycle: .inf", "options.weight_rows_per_cycle", "finite"),
    ("cols: 64}", "cols: 64, adc_bits: .nan}", "macro.adc_bits", "> 0 or 'paper'"),
    ("cols: 64}", "cols: 64, cells_area_mm2: -1}", "macro.cells_area_mm2", ">= 0 or 'auto'"),
    ("size_kb: 64,", "size_kb: 64, read_pj: -1,", "memories.2.read_pj", ">= 0 or 'auto'"),
    ("size_kb: 64,", "size_kb: 64, area_mm2: .nan,", "memories.2.area_mm2", "finite"),
    ("size_kb: 64,", "size_kb: .inf,", "memories.2.size_kb", "finite"),
    ("size_kb: 64,", "size_bits: 0.001,", "memories.2", "at least 1 bit"),
    ("bandwidth_bits: 512", "bandwidth_bits: 1.0e-300", "memories.2.bandwidth_bits", "greater than or equal to 1"),
])
def test_hardware_values_that_would_poison_results_are_refused(tmp_path, old, new, field, needle):
    """Negative or non-finite energies/areas used to give negative or NaN results without an error."""
    with pytest.raises(ImcbenchError, match=f"hw.yaml: field {re.escape(field)}: .*{re.escape(needle)}"):
        _load_hw(tmp_path, HW.replace(old, new))


def test_hardware_hardening_keeps_valid_numbers(tmp_path):
    system = _load_hw(tmp_path, HW.replace("size_kb: 64,", "size_kb: 64, read_pj: '2.5', write_pj: 0,"))
    l2 = next(m for m in system.memories if m.name == "l2")
    assert (l2.read_pj, l2.write_pj) == (2.5, 0.0)


def test_preset_of_impossible_size_is_a_user_error():
    assert_user_error(run_cli("evaluate", "-n", "resnet8", "-H", "paper-aimc-1000000"), "paper-aimc-1000000",
                "less than or equal to 65536")


# --- ZigZag hardware YAML -------------------------------------------------------------------------------------
def _zigzag(tmp_path, change=None):
    data = yaml.safe_load(shared_path("reference", "zigzag_hw", "aimc.yaml").read_text())
    if change:
        change(data)
    return _write(tmp_path, yaml.safe_dump(data), "zz.yaml")


def test_zigzag_foreign_keys_are_ignored_but_typos_are_not(tmp_path):
    from imcbench.hardware import load_system

    for path in sorted(shared_path("reference", "zigzag_hw").glob("*.yaml")):
        if "operational_array" in path.read_text():
            load_system(path)  # ZigZag's own keys (latency, allocation, ...) are no typos
    typo = _zigzag(tmp_path, lambda d: d["memories"]["rf_1B"].update(r_cots=d["memories"]["rf_1B"].pop("r_cost")))
    with pytest.raises(ImcbenchError, match=r"zz.yaml: field memories.rf_1B.r_cots: .*did you mean 'r_cost'"):
        load_system(typo)
    port = _zigzag(tmp_path, lambda d: d["memories"]["rf_1B"]["ports"][0].update(bandwidth_mx=8))
    with pytest.raises(ImcbenchError, match=r"memories.rf_1B.ports.0.bandwidth_mx: .*'bandwidth_max'"):
        load_system(port)


@pytest.mark.parametrize("change, needle", [
    (lambda d: d["memories"]["rf_1B"].update(r_cost=float("nan")), "memories.rf_1B.r_cost: Input should be a finite"),
    (lambda d: d["operational_array"].update(sizes=[32, 32, 2**40], dimensions=["D1", "D2", "D3"]),
     "1099511627776 macros"),
    (lambda d: d["operational_array"].update(sizes=[0, 0]), "zz.yaml: invalid macro: rows"),
])
def test_zigzag_bad_values_name_the_file(tmp_path, change, needle):
    from imcbench.hardware import load_system

    with pytest.raises(ImcbenchError, match=re.escape(needle)):
        load_system(_zigzag(tmp_path, change))


# --- workload YAML ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, needle", [
    ("layers:\n  - {name: a, dims: {K: 4}, strde: 2}\n", "layers[0].strde: Extra inputs are not permitted; did you mean 'stride'?"),
    ("layers:\n  - {name: a, dims: {K: 4}, bits: {wieght: 2}}\n", "layers[0].bits.wieght: Extra inputs are not permitted; did you mean 'weight'?"),
    ("lyers:\n  - {name: a, dims: {K: 4}}\n", "lyers: Extra inputs are not permitted; did you mean 'layers'?"),
    ("layers:\n  - {name: a, dims: {K: 1099511627776}}\n", "layer 'a': dimension K=1099511627776 is above the limit of 16777216"),
    ("layers:\n  - {name: a, dims: {K: 131072, C: 131072, OX: 131072}}\n", "layer 'a': 2.25e+15 MACs in one layer is above the limit of 1e+15"),
    ("layers:\n  - {name: a, dims: {K: 4}, inputs: [a]}\n", "network 'w': layer 'a' reads 'a', which is not an earlier layer"),
])
def test_workload_yaml_errors_name_file_and_field(tmp_path, text, needle):
    from imcbench.workload import load_workload

    path = _write(tmp_path, text, "w.yaml")
    with pytest.raises(ImcbenchError) as info:
        load_workload(path)
    assert str(info.value).startswith(f"{path}: {needle}"), str(info.value)


def test_workload_yaml_layer_count_limit(tmp_path, monkeypatch):
    from imcbench import limits
    from imcbench.workload import load_workload

    monkeypatch.setattr(limits, "MAX_LAYERS", 3)
    text = "layers:\n" + "".join(f"  - {{name: l{i}, dims: {{K: 2}}}}\n" for i in range(4))
    with pytest.raises(ImcbenchError, match="4 MAC layers is above the limit of 3"):
        load_workload(_write(tmp_path, text, "w.yaml"))


# --- calibration YAML -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("key, value, needle", [
    ("provenance", 5, "field provenance: expected a mapping, got int"),
    ("uncertainty_factor", "x", "field uncertainty_factor: expected a mapping, got str"),
])
def test_damaged_calibration_sections_are_user_errors(tmp_path, key, value, needle):
    """These raised AttributeError tracebacks in 'validate' before."""
    from imcbench.validation.calibration import DEFAULT_CALIBRATION_FILE, load_calibration

    data = yaml.safe_load(Path(DEFAULT_CALIBRATION_FILE).read_text())
    data[key] = value
    with pytest.raises(ImcbenchError, match=f"calib.yaml: {needle}"):
        load_calibration(_write(tmp_path, yaml.safe_dump(data), "calib.yaml"))


def test_unknown_calibration_parameter_gets_the_closest_name(tmp_path):
    from imcbench.validation.calibration import DEFAULT_CALIBRATION_FILE, PARAMETER_NAMES, load_calibration

    data = yaml.safe_load(Path(DEFAULT_CALIBRATION_FILE).read_text())
    name = PARAMETER_NAMES[0]
    data["parameters"][name + "x"] = data["parameters"].pop(name)
    with pytest.raises(ImcbenchError, match=f"unknown parameter '{name}x'; did you mean '{name}'"):
        load_calibration(_write(tmp_path, yaml.safe_dump(data), "calib.yaml"))


# --- one strict base for every YAML schema ----------------------------------------------------------------
def test_every_yaml_schema_derives_from_the_one_strict_base():
    """Hardware, cluster, sweep and workload schemas share yamlio.StrictModel: unknown keys and .inf/.nan
    are refused alike (the cluster and sweep schemas used to accept .inf)."""
    import inspect

    from pydantic import BaseModel

    from imcbench.dse import spec
    from imcbench.hardware import config as hw_config
    from imcbench.hetero import config as hetero_config
    from imcbench.workload.loader import _yaml_models

    models = [cls for module in (hw_config, hetero_config, spec) for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, BaseModel) and cls.__module__ == module.__name__]
    models.append(_yaml_models())
    assert len(models) >= 15
    for cls in models:
        assert issubclass(cls, yamlio.StrictModel), cls.__name__
        assert cls.model_config["extra"] == "forbid" and cls.model_config["allow_inf_nan"] is False, cls.__name__


CLUSTER = ("name: c\nmemory: {l1_kb: 128}\nimas:\n  - {name: ima, mvm_pj: 100}\n"
           "accelerators:\n  - {name: dw, type: digital, macs_per_cycle: {depthwise: 16}, pj_per_mac: 0.5}\n"
           "schedule: {handoff_cycles: 50}\n")


@pytest.mark.parametrize("old, new, field", [
    ("l1_kb: 128", "l1_kb: .inf", "memory.l1_kb"),
    ("mvm_pj: 100", "mvm_pj: .inf", "imas.0.mvm_pj"),
    ("pj_per_mac: 0.5", "pj_per_mac: .inf", "accelerators.0.digital.pj_per_mac"),
    ("handoff_cycles: 50", "handoff_cycles: .inf", "schedule.handoff_cycles"),
])
def test_cluster_infinite_values_are_refused(tmp_path, old, new, field):
    from imcbench.hetero.config import load_hetero_system

    assert load_hetero_system(_write(tmp_path, CLUSTER, "ok.yaml")).memory.l1_kb == 128
    with pytest.raises(ImcbenchError, match=f"c.yaml: field {re.escape(field)}: Input should be a finite number"):
        load_hetero_system(_write(tmp_path, CLUSTER.replace(old, new), "c.yaml"))


SWEEP = "name: s\nnetworks: [resnet8]\nsearch: {space: {rows: {min: 32, max: 256}}}\n"


def test_sweep_search_range_must_be_finite(tmp_path):
    from imcbench.dse.spec import load_spec

    assert load_spec(_write(tmp_path, SWEEP, "ok.yaml")).spec.search.space["rows"].max == 256
    with pytest.raises(ImcbenchError, match=r"s.yaml: field search.space.rows.max: Input should be a finite number"):
        load_spec(_write(tmp_path, SWEEP.replace("max: 256", "max: .inf"), "s.yaml"))


@pytest.mark.parametrize("limit", [".nan", ".inf"])
def test_sweep_non_finite_constraint_names_the_fix(tmp_path, limit):
    from imcbench.dse.spec import load_spec

    text = SWEEP + f"constraints: {{max_area_mm2: {limit}}}\n"
    with pytest.raises(ImcbenchError, match=r"s.yaml: constraints.max_area_mm2: .* is not a limit; give a finite "
                                            r"number \(or remove the constraint for no limit\)"):
        load_spec(_write(tmp_path, text, "s.yaml"))

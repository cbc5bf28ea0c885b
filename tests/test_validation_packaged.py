"""The packaged chip facts (imcbench/data/published_chips.csv): same facts as the training file, made by the
script, read when ../shared is absent, and recognised by 'validate' as the calibration's training data."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

from imcbench.validation import chips as chips_module
from imcbench.validation.chips import PACKAGED_CHIPS_COLUMNS, PACKAGED_CHIPS_FILE, load_chips
from imcbench.validation.predict import predict_chips

from conftest import ROOT, run_cli, shared_path

COMPARED = (*PACKAGED_CHIPS_COLUMNS, "row", "chip_id", "reason", "kind", "cell_family", "is_sram")


def _same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def test_packaged_file_holds_the_training_facts_the_code_uses():
    train = load_chips(shared_path("imc_data", "chips_train.csv"))
    packaged = load_chips(PACKAGED_CHIPS_FILE)
    assert len(packaged) == len(train) == 111
    differences = [(t.row, f) for t, p in zip(train, packaged) for f in COMPARED
                   if not _same(getattr(t, f), getattr(p, f))]
    assert differences == []
    # the predictions are therefore the same, row by row (paper model)
    for t, p in zip(predict_chips(train), predict_chips(packaged)):
        assert t.modeled == p.modeled
        assert _same(t.tops_per_w_model, p.tops_per_w_model) and _same(t.tops_per_mm2_model, p.tops_per_mm2_model)


def test_script_rewrites_the_shipped_file_exactly(tmp_path):
    source = shared_path("imc_data", "chips_train.csv")
    spec = importlib.util.spec_from_file_location("make_published_chips", ROOT / "scripts" / "make_published_chips.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path / "published_chips.csv"
    assert script.write(source, out) == 111
    assert out.read_bytes() == PACKAGED_CHIPS_FILE.read_bytes()


def test_packaged_file_has_only_the_used_columns_and_no_reported_extras():
    header = PACKAGED_CHIPS_FILE.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == list(PACKAGED_CHIPS_COLUMNS.values())
    assert not {"E_core (pJ)", "E_col (fJ)", "Authors", "TOPS", "N_1b"} & set(header)


def test_default_falls_back_to_the_packaged_file_without_shared(monkeypatch):
    monkeypatch.setattr(chips_module, "shared_chips_path", lambda: None)
    assert chips_module.default_chips_path() == PACKAGED_CHIPS_FILE
    chips = load_chips()
    assert len(chips) == 111
    sram = [c for c in chips if c.is_sram and c.modelable]
    assert len(sram) == 49
    first = chips[0]
    assert (first.index, first.node_nm, first.compute_model, first.tops_per_w) == (23, 28, "QR", 1456)


def test_default_prefers_the_shared_training_file():
    train = shared_path("imc_data", "chips_train.csv")
    assert chips_module.default_chips_path().resolve() == Path(train).resolve()


def test_validate_on_the_packaged_file_knows_it_is_the_training_data():
    result = run_cli("validate", "--chips", PACKAGED_CHIPS_FILE, "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["summary"]["calibration"]["in_sample"] is True
    assert data["summary"]["rows"]["total"] == 111
    assert data["summary"]["groups"]["SRAM"]["tops_per_w"]["model"]["n"] == 49

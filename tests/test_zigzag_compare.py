"""ZigZag hardware files give ZigZag's clock and area, and energies close to zigzag-dse 3.9.1's runs."""

from __future__ import annotations

import pandas as pd
import pytest

from imcbench.hardware.presets import ZIGZAG_COMPATIBLE
from imcbench.evaluation import evaluate
from imcbench.hardware import load_system

from conftest import shared_path

WORKLOADS = {"deepautoencoder", "ds_cnn", "mobilenet_v1", "resnet8", "resnet18"}


@pytest.mark.parametrize("name, tclk, area", [("aimc", 14.07244, 2.28781), ("dimc", 3.75708, 0.80181)])
def test_shipped_zigzag_files_clock_and_area(name, tclk, area):
    system = load_system(shared_path("reference", "zigzag_hw", f"{name}.yaml"))
    assert system.macro.evaluate().tclk_ns == pytest.approx(tclk, rel=1e-6)
    assert system.area_mm2 == pytest.approx(area, rel=1e-5)
    assert system.macro.weight_cols == 128 and system.macro.rows == 128


def _runs() -> pd.DataFrame:
    return pd.read_csv(shared_path("reference", "zigzag_dse_runs.csv"))


def test_every_reference_run_within_half_to_1_1x_of_zigzag():
    runs = _runs()
    assert len(runs) >= 18
    for row in runs.itertuples():
        system = load_system(shared_path("reference", "zigzag_hw", f"{row.hardware}.yaml"))
        compatible = evaluate(row.workload, system.with_options(**ZIGZAG_COMPATIBLE))
        ratio = compatible.energy_pj / row.energy_pJ
        assert 0.5 <= ratio <= 1.1, (row.hardware, row.workload, ratio)
        assert 0.5 <= compatible.latency_cycles / row.latency_cycles <= 1.1, (row.hardware, row.workload)
        assert compatible.tclk_ns == pytest.approx(row.tclk_ns, rel=1e-6)
        if pd.notna(row.mac_energy_pJ):  # the macro model itself: same energy in the same mapping space
            macro = compatible.energy_by_group_pj()["macro"]
            assert macro / row.mac_energy_pJ == pytest.approx(1.0, abs=0.05), (row.hardware, row.workload)
        # imcbench's own space (diagonal and group packing, liveness) can only do better
        default = evaluate(row.workload, system)
        assert default.energy_pj <= compatible.energy_pj * (1 + 1e-9)

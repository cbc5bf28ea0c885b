"""eNVM rows of the chip file can be modeled from the cell table (imcbench.celltech)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from imcbench.celltech import get_cell
from imcbench.errors import ImcbenchError
from imcbench.macro.components import cell_line_energy
from imcbench.tech import Technology
from imcbench.validation.chips import load_chips
from imcbench.validation.predict import (NVM_CELL_AREA_RATIO, cell_area_ratio, chip_components, table_cell)


def test_families_map_to_table_cells():
    assert table_cell("ReRAM").name == "rram" and table_cell("PCM").name == "pcm" and table_cell("MRAM").name == "mram"
    assert table_cell("Flash") is None and table_cell("SRAM") is None
    sram = get_cell("sram6t").area_f2
    assert cell_area_ratio("ReRAM+Par", "ReRAM", "table_area") == pytest.approx(get_cell("rram").area_f2 / sram)
    assert cell_area_ratio("MRAM+Par", "MRAM", "table") == pytest.approx(get_cell("mram").area_f2 / sram)
    assert cell_area_ratio("ReRAM+Par", "ReRAM") == NVM_CELL_AREA_RATIO  # default: today's constants
    assert cell_area_ratio("NOR-F", "Flash", "table") == NVM_CELL_AREA_RATIO  # not in the table
    assert cell_area_ratio("8T", "SRAM", "table") == pytest.approx(8 / 6)


def test_table_read_energy_changes_only_the_envm_bitlines():
    chips = load_chips(shared_path("imc_data", "chips_train.csv"))
    base, table = chip_components(chips), chip_components(chips, "table")
    envm = np.isin(base.cell_family, ("ReRAM", "PCM", "MRAM"))
    assert envm.sum() >= 10
    np.testing.assert_array_equal(table.energy_pj["bitline"][~envm], base.energy_pj["bitline"][~envm])
    for family in ("ReRAM", "PCM", "MRAM"):
        rows = base.cell_family == family
        ratio = table.energy_pj["bitline"][rows] / base.energy_pj["bitline"][rows]
        line = cell_line_energy(Technology(base.node_nm[rows], base_vdd(chips, base.rows[rows])))  # SRAM, fJ
        np.testing.assert_allclose(ratio, table_cell(family).read_energy_fj_per_bit / line, rtol=1e-9)
    with pytest.raises(ImcbenchError, match="envm_cells"):
        chip_components(chips, "guess")


def base_vdd(chips, rows) -> np.ndarray:
    by_row = {c.row: c for c in chips}
    return np.array([by_row[r].vdd for r in rows], dtype=float)

"""The cell-technology table: every cell complete, finite where it must be, in sane units and orders."""

from __future__ import annotations

import math

import pytest

from imcbench.celltech import (CELL_FIELDS, DEFAULT_CELL, FIELD_UNITS, CellTechnology, get_cell, list_cells)
from imcbench.errors import ImcbenchError

EXPECTED_CELLS = {"sram6t", "sram8t", "rram", "pcm", "fefet", "mram", "gain_cell_edram"}


def test_every_expected_cell_is_in_the_table():
    assert set(list_cells()) == EXPECTED_CELLS
    assert DEFAULT_CELL in list_cells()


@pytest.mark.parametrize("name", sorted(EXPECTED_CELLS))
def test_every_number_is_in_range_and_has_a_source(name):
    cell = get_cell(name)
    assert isinstance(cell, CellTechnology)
    for key in ("area_f2", "read_energy_fj_per_bit", "write_energy_pj_per_bit", "write_latency_ns",
                "drift_t0_s"):
        value = getattr(cell, key)
        assert math.isfinite(value) and value > 0, (key, value)
    assert cell.endurance_writes > 0 and cell.retention_s > 0  # may be inf (SRAM)
    for key in ("leakage_pw_per_bit", "read_noise_rel", "programming_noise_rel", "drift_nu", "drift_nu_std"):
        value = getattr(cell, key)
        assert math.isfinite(value) and value >= 0, (key, value)
    assert isinstance(cell.levels_per_cell, int) and cell.levels_per_cell >= 2
    assert cell.read_noise_rel < 0.5 and cell.programming_noise_rel < 0.5  # fractions of full scale
    sources = dict(cell.field_sources)
    assert set(sources) == set(FIELD_UNITS)
    assert all(len(text) > 5 for text in sources.values())
    assert cell.source


def test_orders_of_magnitude_match_the_surveys():
    """Yu & Chen 2016 Table 1: NVM cells are denser than 6T SRAM; PCM writes cost more than RRAM/MRAM;
    only volatile cells leak while idle; only PCM drifts; SRAM does not wear out."""
    sram, rram, pcm = get_cell("sram6t"), get_cell("rram"), get_cell("pcm")
    assert 100 <= sram.area_f2 <= 200
    assert get_cell("sram8t").area_f2 > sram.area_f2
    for name in ("rram", "pcm", "fefet", "gain_cell_edram"):
        assert get_cell(name).area_f2 < sram.area_f2
    assert pcm.write_energy_pj_per_bit > rram.write_energy_pj_per_bit > sram.write_energy_pj_per_bit
    assert pcm.write_latency_ns > 10 * sram.write_latency_ns
    assert math.isinf(sram.endurance_writes) and rram.endurance_writes < pcm.endurance_writes < 1e12
    for name in list_cells():
        cell = get_cell(name)
        assert (cell.leakage_pw_per_bit > 0) == cell.volatile, name
        assert (cell.drift_nu > 0) == (name == "pcm"), name
    assert 0.03 <= pcm.drift_nu <= 0.12  # Le Gallo & Sebastian 2020
    assert get_cell("gain_cell_edram").retention_s < 1.0


def test_derived_quantities():
    pcm, rram = get_cell("pcm"), get_cell("rram")
    assert rram.bits_per_cell == math.log2(rram.levels_per_cell)
    assert get_cell("sram6t").area_um2(28) == pytest.approx(150 * 0.028 ** 2)
    assert pcm.drift_factor(pcm.drift_t0_s) == 1.0
    assert pcm.drift_factor(86400) == pytest.approx((86400 / pcm.drift_t0_s) ** -pcm.drift_nu)
    assert pcm.drift_factor(86400) < pcm.drift_factor(3600) < 1.0
    assert rram.drift_factor(86400) == 1.0
    with pytest.raises(ImcbenchError, match="time after programming"):
        pcm.drift_factor(-1)


def test_lookup_is_case_insensitive_and_unknown_names_list_the_cells():
    assert get_cell("RRAM").name == "rram"
    with pytest.raises(ImcbenchError) as err:
        get_cell("flash3d")
    message = str(err.value)
    assert "flash3d" in message and all(name in message for name in EXPECTED_CELLS)


def test_cell_fields_cover_the_interface():
    for key in ("name", "volatile", "area_f2", "read_energy_fj_per_bit", "write_energy_pj_per_bit",
                "write_latency_ns", "endurance_writes", "retention_s", "leakage_pw_per_bit", "levels_per_cell",
                "read_noise_rel", "programming_noise_rel", "drift_nu", "drift_t0_s", "source"):
        assert key in CELL_FIELDS


def test_the_table_is_parsed_safely_and_as_safe_load_parses_it():
    import yaml

    from imcbench.celltech import CELL_TABLE_FILE, parse_safe_yaml

    text = CELL_TABLE_FILE.read_text(encoding="utf-8")
    assert parse_safe_yaml(text) == yaml.safe_load(text)  # the faster loader reads the same data
    with pytest.raises(yaml.YAMLError, match="python/object/apply"):
        parse_safe_yaml("cell: !!python/object/apply:os.getcwd []\n")  # plain data only, never Python objects

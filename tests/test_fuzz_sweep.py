"""Fuzzing sweep specs (issue 4's imcbench.dse): mutated specs give design points or one ImcbenchError line
naming the file; an absurd grid is refused before it exhausts memory. Skipped while imcbench.dse.spec is
not importable. ``--hypothesis-show-statistics`` prints the number of cases."""

from __future__ import annotations

import resource
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mutation
from conftest import ROOT
from imcbench.errors import ImcbenchError

spec_module = pytest.importorskip("imcbench.dse.spec", reason="imcbench.dse.spec (issue 4) is not available yet")
points_module = pytest.importorskip("imcbench.dse.points", reason="imcbench.dse.points (issue 4) is not available yet")

BASE_FILES = ("paper_sweep.yaml", "search_sweep.yaml")
BASES = {name: yaml.safe_load((ROOT / "examples" / name).read_text()) for name in BASE_FILES
         if (ROOT / "examples" / name).is_file()}
FUZZ = settings(deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8), st.lists(st.one_of(st.integers(-4, 2048), st.sampled_from(["aimc", "dimc", "x"])), max_size=4),
    st.sampled_from(["aimc", "dimc", "paper", "same_as_rows", "energy", "latency", "resnet8", "nosuchnet",
                     "../../etc/passwd", "max", "min"]),
    st.dictionaries(st.sampled_from(["rows", "cols", "kind", "adc_bits", "rowz", "min", "max", "log2", "step"]),
                    st.one_of(st.integers(-4, 1024), st.lists(st.integers(1, 512), max_size=3)), max_size=3))
MAX_FUZZ_POINTS = 10_000  # a mutated grid bigger than this is not expanded here (see the absurd-grid test)


@st.composite
def mutated_specs(draw):
    return draw(mutation.mutated(BASES[draw(st.sampled_from(sorted(BASES)))], VALUES))


def _grid_size(loaded) -> int:
    total = 0
    for grid in loaded.spec.grids():
        size = 1
        for values in grid.values():
            size *= len(values) if isinstance(values, list) else 1
        total += size
    return total


@settings(FUZZ, max_examples=300)
@given(mutated_specs())
def test_mutated_specs_give_points_or_a_clean_error(tmp_path_factory, data):
    folder = tmp_path_factory.getbasetemp() / "fuzz_sweep"
    folder.mkdir(exist_ok=True)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    try:
        loaded = spec_module.load_spec(path)
    except ImcbenchError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{path}:"), str(exc)
        return
    if _grid_size(loaded) > MAX_FUZZ_POINTS:
        return
    try:
        expansion = points_module.expand(loaded)
    except ImcbenchError as exc:  # point-level problems do not name the file (reported to issue 4)
        assert "\n" not in str(exc) and str(exc).strip(), str(exc)
        return
    assert expansion.requested >= len(expansion.points)
    assert len({p.design_id for p in expansion.points}) == len(expansion.points)  # de-duplicated


ABSURD_GRID = """\
name: absurd
networks: [resnet8]
hardware: {preset: paper}
grid:
  kind: [aimc, dimc]
  rows: [32, 64, 128, 256, 512, 1024, 2048, 4096]
  cols: [32, 64, 128, 256, 512, 1024, 2048, 4096]
  adc_bits: [1, 2, 3, 4, 5, 6, 7, 8]
  n_macros: [1, 2, 4, 8, 16, 32, 64, 128]
  input_bits: [1, 2, 3, 4, 5, 6, 7, 8]
  weight_bits: [1, 2, 3, 4, 5, 6, 7, 8]
  l2_kb: [1, 2, 4, 8, 16, 32, 64, 128]
  node_nm: [7, 16, 22, 28, 40, 65, 90, 130]
"""
MEMORY_LIMIT_BYTES = 1536 * 2**20  # the child process fails fast instead of exhausting the machine


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


@pytest.mark.skipif(sys.platform != "linux", reason="needs RLIMIT_AS to bound the child's memory")
def test_an_absurd_grid_is_refused_with_the_limit(tmp_path):
    spec = tmp_path / "absurd.yaml"
    spec.write_text(ABSURD_GRID)
    proc = subprocess.run([sys.executable, "-m", "imcbench", "sweep", str(spec), "--out", str(tmp_path / "a.duckdb")],
                          capture_output=True, text=True, timeout=120, preexec_fn=_limit_memory)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-300:]
    assert "absurd.yaml" in proc.stderr

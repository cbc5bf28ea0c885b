"""The study's verdicts come from the run's numbers (ties are ties), in both mapping spaces side by side."""

from __future__ import annotations

import itertools
import json

import duckdb
import pytest

from imcbench.errors import ImcbenchError
from imcbench.studies.mapping_spaces import finding_differences, network_conclusions
from imcbench.studies.paper import layer_type_table, network_table, peak_table, run_network_points
from imcbench.studies.paper_findings import (PAPER_CLAIMS, TIE_RELATIVE, Finding, claim_status, describe_best,
                                             findings_by_space, outcome)
from imcbench.studies.paper_settings import StudySettings


def test_outcome_calls_close_figures_a_tie():
    assert outcome(1.0, 1.0 - 0.9 * TIE_RELATIVE) == "tie"
    assert outcome(1.0 - 0.9 * TIE_RELATIVE, 1.0) == "tie"
    assert outcome(1.0, 1.0 - 1.5 * TIE_RELATIVE) == "yes"
    assert outcome(1.0 - 1.5 * TIE_RELATIVE, 1.0) == "no"


@pytest.mark.parametrize("outcomes", list(itertools.product(("yes", "no", "tie"), repeat=3)))
def test_claim_status_names_exactly_the_cases_that_hold(outcomes):
    cases = {"macro level:": dict(zip(("conv", "pointwise"), outcomes[:2])), "system level:": {"conv": outcomes[2]}}
    status = claim_status(cases)
    yes = [o == "yes" for o in outcomes]
    if all(yes):
        assert status == "holds"
    elif all(o == "tie" for o in outcomes):
        assert status == "tie"
    elif not any(yes):
        assert status == "does not hold"
    else:
        assert status.startswith("holds only for ")
        named = status.removeprefix("holds only for ")
        assert named and not named.endswith(("for", ";", ",", ")"))
        assert ("macro level: conv" in named or "conv, pointwise" in named) == yes[0]
        assert ("pointwise" in named) == yes[1]
        assert ("system level: conv" in named) == yes[2]


def test_agreement_follows_the_status():
    claim = PAPER_CLAIMS["energy_dominance"].text
    texts = {status: Finding("k", "s", status, {}, claim).agreement
             for status in ("holds", "does not hold", "tie", "holds only for resnet8")}
    assert texts == {"holds": "agrees with the paper", "does not hold": "disagrees with the paper",
                     "tie": "a tie: neither confirms nor contradicts the paper",
                     "holds only for resnet8": "agrees with the paper only in part"}
    beyond = Finding("k", "s", "measured", {})
    assert beyond.agreement == "beyond the paper" and beyond.agrees_with_paper is None


def test_best_macros_show_ties():
    assert describe_best(["aimc 128"]) == "aimc 128"
    assert describe_best(["aimc 128", "dimc 128"]) == "aimc 128 = dimc 128 (tie)"
    assert describe_best(["aimc 512", "aimc 256"]) == describe_best(["aimc 256", "aimc 512"])  # a tie has no order
    assert describe_best(["a"] * 5).startswith("5 macros tie")


def test_unknown_mapping_space_is_refused():
    with pytest.raises(ImcbenchError, match="mapping spaces"):
        StudySettings(mapping_spaces=("full", "timeloop"))


def _small_study(tmp_path_factory, sizes, spaces=("full", "zigzag")):
    """DS-CNN (depthwise-heavy) and the Deep AutoEncoder (fully connected) in the given mapping spaces."""
    settings = StudySettings(networks=("ds_cnn", "deepautoencoder"), extended_networks=(), sizes=sizes,
                             mapping_spaces=spaces)
    database = tmp_path_factory.mktemp("spaces") / "study.duckdb"
    networks = network_table(run_network_points(settings, False, database, workers=1), settings)
    peak, layers = peak_table(settings), layer_type_table(settings)
    return settings, database, layers, networks, findings_by_space(peak, layers, networks, settings)


@pytest.fixture(scope="module")
def small_macros(tmp_path_factory):
    """Macros of 32 and 64 rows only: the paper's large-AIMC finding has no large macro to stand on."""
    return _small_study(tmp_path_factory, (32, 64))


@pytest.fixture(scope="module")
def small_both(tmp_path_factory):
    return _small_study(tmp_path_factory, (32, 128), ("full", "zigzag", "zigzag_mapping"))


def test_statuses_follow_the_small_studys_numbers(small_macros):
    *_, by_space = small_macros
    found = {f.key: f for f in by_space["full"]}
    # without large macros the ADC is not amortised: AIMC loses on conv and pointwise, the claim fails
    large = found["aimc_large_conv_pw"]
    assert large.numbers["large_sizes"] == [64]
    macro_conv = large.numbers["macro.conv"]
    assert macro_conv["best_aimc_tops_per_w_large"] < macro_conv["best_dimc_tops_per_w"]
    assert large.status == "does not hold" and large.agreement == "disagrees with the paper"
    # batch 1: the autoencoder's energy is its weights crossing the DRAM; DS-CNN's is the macro's
    energy = found["energy_dominance"]
    assert energy.numbers["deepautoencoder"]["shares"]["weights"] > 0.9
    assert energy.numbers["ds_cnn"]["shares"]["macro"] > energy.numbers["ds_cnn"]["shares"]["weights"]
    assert energy.status == "holds only for deepautoencoder"
    assert energy.agreement == "agrees with the paper only in part"
    assert "ds_cnn: macro" in energy.statement
    for f in (f for fs in by_space.values() for f in fs):
        assert "only for )" not in f.status and not f.status.endswith("for")


def test_both_mapping_spaces_are_stored_and_compared(small_both):
    settings, database, layers, networks, by_space = small_both
    con = duckdb.connect(str(database), read_only=True)
    stored = con.execute("SELECT count(*), count(DISTINCT options_pack_groups) FROM results").fetchone()
    con.close()
    assert stored == (3 * 2 * 2 * 2, 2)  # spaces x networks x kinds x sizes; the space's settings as columns
    assert set(networks.mapping_space) == set(layers.mapping_space) == {"full", "zigzag", "zigzag_mapping"}
    ds = networks[(networks.network == "ds_cnn") & (networks.rows == 128)].set_index(["mapping_space", "kind"])
    # imcbench packs DS-CNN's depthwise groups side by side on the AIMC array, ZigZag's space maps one
    # channel at a time: AIMC's density drops and DIMC (which has no group packing to lose) keeps it
    assert ds.loc[("full", "aimc"), "tops_per_mm2"] > ds.loc[("full", "dimc"), "tops_per_mm2"]
    assert ds.loc[("zigzag", "aimc"), "tops_per_mm2"] < ds.loc[("zigzag", "dimc"), "tops_per_mm2"]
    conclusions = network_conclusions(networks, settings.mapping_spaces)
    row = conclusions[(conclusions.network == "ds_cnn") & (conclusions.conclusion == "AIMC vs DIMC on TOPS/mm2")]
    assert bool(row.differs.iloc[0])
    assert "AIMC better at" in row.full.iloc[0] and "DIMC better at 128" in row.zigzag.iloc[0]
    same = conclusions[~conclusions.differs]
    assert ((same.full == same.zigzag) & (same.zigzag == same.zigzag_mapping)).all()
    differences = finding_differences(by_space)
    assert list(differences.finding) == [f.key for f in by_space["full"]]
    assert (differences.differs == ((differences.full != differences.zigzag)
                                    | (differences.zigzag != differences.zigzag_mapping))).all()
    # ZigZag's convention of charging DIMC multipliers on every row, not its mapping space, costs DIMC its
    # efficiency on depthwise layers; AIMC is priced the same under both conventions
    assert ds.loc[("zigzag_mapping", "dimc"), "tops_per_w"] > 1.5 * ds.loc[("zigzag", "dimc"), "tops_per_w"]
    assert ds.loc[("zigzag_mapping", "aimc"), "energy_pj"] == pytest.approx(ds.loc[("zigzag", "aimc"), "energy_pj"])
    density = ds.tops_per_mm2
    assert density[("zigzag_mapping", "aimc")] == pytest.approx(density[("zigzag", "aimc")])


def test_study_json_is_clean_and_stages_go_to_stderr(cli, tmp_path):
    out = cli("study", "--out", tmp_path / "study", "--networks", "resnet8", "--extended", "", "--sizes", "32",
              "--json", timeout=600)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)  # stdout is one JSON document
    assert data["mapping_spaces"] == ["full", "zigzag", "zigzag_mapping"]  # the default: all side by side
    assert {f["mapping_space"] for f in data["findings"]} == {"full", "zigzag", "zigzag_mapping"}
    assert {"findings", "networks"} <= set(data["mapping_space_differences"])
    stages = [line for line in out.stderr.splitlines() if line.startswith("[") and " s] " in line]
    assert any("networks: 6 of 6 evaluations" in line for line in stages)  # 3 spaces x 2 kinds x 1 size
    assert sum("figures: " in line for line in stages) >= 5  # one line per figure group

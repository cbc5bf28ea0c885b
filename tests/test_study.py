"""The AIMC-vs-DIMC study: the paper's findings with our numbers, the output folder, the report in a browser."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from imcbench import results as vocab
from imcbench.errors import ImcbenchError
from imcbench.report.study_report import run_study
from imcbench.dse.store import read_totals
from imcbench.studies.paper import (NETWORK_FIGURES, PAPER_PEAK, layer_type_table, network_table, peak_table,
                                    run_network_points)
from imcbench.studies.paper_findings import findings
from imcbench.studies.paper_settings import StudySettings

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def paper_study(tmp_path_factory):
    """The paper's study in imcbench's full mapping space (the other space: test_study_spaces.py)."""
    settings = StudySettings(extended_networks=(), mapping_spaces=("full",))
    peak = peak_table(settings)
    layers = layer_type_table(settings)
    database = tmp_path_factory.mktemp("paper") / "study.duckdb"
    networks = network_table(run_network_points(settings, False, database, workers=1), settings)
    return settings, peak, layers, networks, findings(peak, layers, networks, settings)


def test_the_papers_three_findings_hold(paper_study):
    *_, found = paper_study
    by_key = {f.key: f for f in found}
    assert by_key["dimc_density"].holds
    assert by_key["aimc_large_conv_pw"].holds
    assert by_key["dimc_small_depthwise"].holds
    conv = by_key["aimc_large_conv_pw"].numbers["macro.conv"]
    assert conv["best_aimc_tops_per_w_large"] > 2 * conv["best_dimc_tops_per_w"]  # ADC amortised over rows


def test_peak_matches_the_paper(paper_study):
    _, peak, *_ = paper_study
    for row in peak.itertuples():
        paper_w, _, paper_system_w = PAPER_PEAK[(row.kind, row.rows)]
        assert row.tops_per_w == pytest.approx(paper_w, rel=5e-3)
        assert row.system_tops_per_w == pytest.approx(paper_system_w, rel=1e-2)


def test_network_table_and_geomean(paper_study):
    settings, _, _, networks, _ = paper_study
    assert len(networks) == 4 * 12 + 12  # 4 networks x 12 macros + the geometric mean per macro
    geo = networks[networks.network == "geomean"].set_index(["kind", "rows"]).tops_per_w
    tiny = networks[networks.network != "geomean"]
    for (kind, rows), value in geo.items():
        sub = tiny[(tiny.kind == kind) & (tiny.rows == rows)].tops_per_w
        assert value == pytest.approx(float(np.exp(np.log(sub).mean())))
    # batch 1: every weight of the fully connected autoencoder crosses the DRAM once -> flat, tiny TOPS/W
    ae = tiny[tiny.network == "deepautoencoder"].tops_per_w
    assert ae.max() / ae.min() < 1.1 and ae.max() < 0.1
    assert (tiny.min_layer_sqnr_db[tiny.kind == "aimc"] < tiny.min_layer_sqnr_db[tiny.kind == "dimc"].min()).all()


def test_depthwise_prefers_small_dimc(paper_study):
    _, _, layers, _, _ = paper_study
    dw = layers[(layers.layer_type == "depthwise") & (layers.kind == "dimc")].set_index("rows").macro_tops_per_w
    assert dw.idxmax() == 32  # the adder tree of a small macro wastes the least on 9-row channels


SMALL = StudySettings(networks=("resnet8", "ds_cnn"), extended_networks=("bert_tiny",), sizes=(32, 256),
                      mapping_spaces=("full",))


@pytest.fixture(scope="module")
def small_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("study")
    result = run_study(SMALL, out, sections=("chips",), jobs=1, force=True)
    return result


def test_output_folder(small_study):
    out = small_study.out_dir
    for name in ("report.html", "peak.csv", "per_layer_type.csv", "per_network.csv", "findings.json"):
        assert (out / name).is_file()
    for name, extra in (("peak", None), ("per_layer_type", "layer_type"), ("per_network", "network")):
        frame = pd.read_csv(out / f"{name}.csv")
        for column in ["kind", "rows", "tops_per_w", "tops_per_mm2"] + ([extra] if extra else []):
            assert column in frame.columns
        assert set(frame.kind) == {"aimc", "dimc"}
    data = json.loads((out / "findings.json").read_text())
    assert all({"statement", "holds", "numbers"} <= set(f) for f in data)
    figures = list((out / "figures").glob("*.png"))
    assert len(figures) >= 15 and len(list((out / "figures").glob("*.svg"))) == len(figures)
    assert "attention_weight_writing" in {f["key"] for f in data}


def test_result_dict_and_frame_hold_what_the_files_hold(small_study):
    out = small_study.out_dir
    data = small_study.to_dict()
    json.dumps(data)  # JSON-safe
    written = json.loads((out / "findings.json").read_text())
    assert len(data["findings"]) == len(written) == len(small_study.findings)
    assert ([(f["key"], f["mapping_space"], f["status"]) for f in data["findings"]]
            == [(f["key"], f["mapping_space"], f["status"]) for f in written])
    per_network = pd.read_csv(out / "per_network.csv")
    frame = small_study.to_frame()  # the network table, named as in the results vocabulary
    assert len(frame) == len(per_network) == len(data["networks"])
    assert set(frame.columns) == set(per_network.columns)
    assert set(NETWORK_FIGURES) <= set(frame.columns) and set(NETWORK_FIGURES) <= set(vocab.FIGURES)
    key = ["mapping_space", "network", "kind", "rows"]
    ours, theirs = frame.sort_values(key), per_network.sort_values(key)
    assert (ours[key].to_numpy() == theirs[key].to_numpy()).all()
    for column in ("energy_pj", "tops_per_w", "tops_per_mm2"):
        assert ours[column].to_numpy() == pytest.approx(theirs[column].to_numpy(), rel=1e-12, nan_ok=True)
    assert data["settings"]["sizes"] == [32, 256] and data["out_dir"] == str(out)
    assert data["skipped"] == small_study.skipped  # every network point evaluated: only sections left out, if any
    assert "network points" not in data["skipped"]


def test_existing_study_is_not_overwritten(small_study):
    with pytest.raises(ImcbenchError, match="--force"):
        run_study(StudySettings(networks=("resnet8",), extended_networks=(), sizes=(32,)), small_study.out_dir)


def test_report_renders_in_headless_chromium(small_study, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'; .ci/run installs it)")
    report = (small_study.out_dir / "report.html").resolve()
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
              "--v=0", "--virtual-time-budget=15000"]
    dom = subprocess.run([*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0
    assert dom.stdout.count('class="main-svg"') >= 2 * 10  # plotly drew every figure (2 SVG layers each)
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert not [line for line in console if "rror" in line or "Uncaught" in line], console
    shot = tmp_path / "report.png"
    subprocess.run([*common, "--window-size=1200,2400", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.std() > 0.05  # not a blank page
    assert (pixels < 0.9).mean() > 0.03  # a fair share of non-white: text and plotted figures


def test_network_points_live_in_a_resumable_database(small_study):
    database = small_study.out_dir / "study.duckdb"
    assert database.is_file()
    again = run_network_points(SMALL, True, database, workers=1)  # everything is already stored
    first = small_study.networks[small_study.networks.network != "geomean"]
    assert len(again) == len(first) == 3 * 2 * 2  # networks x kinds x sizes, each once
    by_key = {(r["network"], r["kind"], r["rows"]): r["energy_pj"] for r in again}
    for row in first.itertuples():
        assert by_key[(row.network, row.kind, row.rows)] == row.energy_pj
    bert = [r for r in again if r["network"] == "bert_tiny"]
    assert all(0 < r["attention_weight_write_pj"] < r["attention_energy_pj"] < r["energy_pj"] for r in bert)


def test_store_reads_totals_with_the_sums_of_one_layer_kind(small_study):
    import duckdb

    database = small_study.out_dir / "study.duckdb"
    totals = read_totals(database, ["point_id", "network", "energy_pj"], layer_kind="attention",
                         layer_sums=["energy_pj"], order_by=["network"])
    con = duckdb.connect(str(database), read_only=True)
    layers = con.execute("SELECT point_id, layer_kind, energy_pj FROM layers").df()
    con.close()
    attention = layers[layers.layer_kind == "attention"].groupby("point_id").energy_pj.sum()
    assert len(totals) == 3 * 2 * 2 and list(totals.network) == sorted(totals.network)
    for row in totals.itertuples():
        assert row.attention_energy_pj == pytest.approx(attention.get(row.point_id, 0.0), rel=1e-12)
    bert = totals.network == "bert_tiny"
    assert (totals.attention_energy_pj[bert] > 0).all() and (totals.attention_energy_pj[~bert] == 0).all()
    with pytest.raises(ImcbenchError, match="no column 'energy_pJ'"):
        read_totals(database, ["network", "energy_pJ"])
    with pytest.raises(ImcbenchError, match="layers table has no column 'weights'"):
        read_totals(database, ["network"], layer_kind="attention", layer_sums=["weights"])

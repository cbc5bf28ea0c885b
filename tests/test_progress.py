"""Long commands show progress on stderr and keep stdout clean (issue 13, item 13)."""

from __future__ import annotations

import json
import re

import pytest

from imcbench.cli import main, stages
from imcbench.dse.runner import Progress, RunOptions
from imcbench.dse.spec import LoadedSpec, load_spec


def run_main(capsys, *args) -> tuple[str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert stop.value.code in (0, None), err
    return out, err


@pytest.fixture
def no_delay(monkeypatch):
    """Report from the first item on (the commands below finish in about a second here)."""
    monkeypatch.setattr(stages, "DELAY_S", 0.0)
    monkeypatch.setattr(stages, "LOG_INTERVAL_S", 0.0)


def test_evaluate_reports_every_layer_on_stderr_and_json_stays_clean(capsys, no_delay):
    out, err = run_main(capsys, "evaluate", "-n", "resnet8", "-H", "paper-aimc-64", "--json")
    data = json.loads(out)
    layers = [layer["name"] for layer in data["layers"]]
    lines = re.findall(r"^evaluate: layer (\d+)/(\d+) \((.+?)\)", err, flags=re.M)
    assert [int(done) for done, _, _ in lines] == list(range(1, len(layers) + 1))
    assert {int(total) for _, total, _ in lines} == {len(layers)}
    assert [name for _, _, name in lines] == layers


def test_quick_evaluate_prints_no_progress(capsys):
    _, err = run_main(capsys, "evaluate", "-n", "deepautoencoder", "-H", "paper-dimc-64", "--json")
    assert "evaluate:" not in err


def test_accuracy_stage_lines_on_stderr_only(capsys, no_delay, monkeypatch):
    import time

    import imcbench.accuracy.digits as digits

    train = digits.trained_model

    def slower(name):  # a training stage still running when the stage is announced
        time.sleep(0.3)
        return train(name)

    monkeypatch.setattr(digits, "trained_model", slower)
    out, err = run_main(capsys, "accuracy", "-n", "ds_cnn", "--adc-bits", "4,6", "--models", "mlp", "--json")
    data = json.loads(out)
    assert [(p["model"], p["adc_bits"]) for p in data["digits"]] == [("mlp", 4), ("mlp", 6)]
    assert re.search(r"^accuracy: SQNR of ds_cnn: layer (\d+)/\1 ", err, flags=re.M)
    assert re.search(r"^accuracy: digits: training mlp \.\.\.$", err, flags=re.M)
    assert re.search(r"^accuracy: digits: training mlp done in \d+\.\d s$", err, flags=re.M)
    assert re.findall(r"^accuracy: digits: model x ADC bits (\d)/2 \(mlp at (\d) b\)", err, flags=re.M) == \
        [("1", "4"), ("2", "6")]


def test_accuracy_per_resolution_equals_all_at_once():
    """The CLI simulates one (model, ADC bits) at a time for its progress: the same numbers as one call."""
    from imcbench.accuracy.digits import accuracy_vs_adc_bits
    from imcbench.accuracy.noise import MvmConfig

    config = MvmConfig(read_noise=2.0, cell_sigma=0.05)  # noisy: the Monte Carlo seed matters
    together = accuracy_vs_adc_bits(config, [3, 5], ["mlp"], test_images=200)
    apart = [p for b in (3, 5) for p in accuracy_vs_adc_bits(config, [b], ["mlp"], test_images=200)]
    assert together == apart


def test_stage_announces_only_long_stages(capsys, monkeypatch):
    import time

    monkeypatch.setattr(stages, "DELAY_S", 0.2)
    s = stages.Stages("cmd")
    with s.stage("quick"):
        pass
    with s.stage("slow"):
        time.sleep(0.5)
    err = capsys.readouterr().err
    assert "quick" not in err
    assert re.fullmatch(r"cmd: slow \.\.\.\ncmd: slow done in 0\.\d s\n", err), err


class Recorder(Progress):
    def __init__(self):
        super().__init__()
        self.seen: list[tuple[int, int]] = []

    def show(self, output) -> None:
        self.seen.append((self.done, self.total))


def test_search_progress_counts_across_generations(tmp_path):
    """One total for the whole search (population x generations x networks), done never going back."""
    pytest.importorskip("pymoo")
    from imcbench.dse.search import run_search

    spec = tmp_path / "search.yaml"
    spec.write_text("networks: [deepautoencoder, ds_cnn]\nfixed: {cols: same_as_rows}\n"
                    "search: {space: {kind: [aimc, dimc], rows: {min: 8, max: 512, log2: true}, "
                    "vdd: {min: 0.8, max: 1.0}}, objectives: [tops_per_w, area_mm2], population: 6, generations: 3}\n")
    loaded: LoadedSpec = load_spec(spec)
    progress = Recorder()
    summary, _ = run_search(loaded, tmp_path / "s.duckdb", RunOptions(executor="serial"), progress)
    totals = {total for _, total in progress.seen[:-1]}
    assert totals == {6 * 3 * 2}  # planned once, never restarted
    done = [d for d, _ in progress.seen]
    assert done == sorted(done) and done[-1] == progress.seen[-1][1]
    assert summary.evaluations <= done[-1]

"""``imcbench accuracy`` through the real entry point."""

from __future__ import annotations

import pytest

from conftest import ROOT, run_cli


def test_json_reports_layers_energy_and_digits():
    """The MLP only, to stay fast (the CNN is covered in process by test_accuracy_digits)."""
    result = run_cli("accuracy", "--adc-bits", "4,8", "--models", "mlp", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert len(data["layers"]) == 10  # resnet8's MAC layers
    for layer in data["layers"]:
        assert layer["sqnr_db"]["8"] > layer["sqnr_db"]["4"] + 10
        assert layer["dimc_sqnr_db"] > layer["sqnr_db"]["8"]
    assert data["energy_per_mac_fj"]["8"] > data["energy_per_mac_fj"]["4"]
    assert all(set(p) == {"model", "adc_bits", "accuracy"} for p in data["digits"])
    assert {p["model"] for p in data["digits"]} == {"mlp"} and set(data["float_accuracy"]) == {"mlp"}
    for model in ("mlp",):
        acc = {p["adc_bits"]: p["accuracy"] for p in data["digits"] if p["model"] == model}
        assert 0 <= acc[4] <= acc[8] + 0.01 <= 1.01


def test_hardware_file_sets_the_macro():
    result = run_cli("accuracy", "--hardware", ROOT / "examples" / "paper_aimc_256.yaml", "--no-digits", "--json")
    assert result.returncode == 0, result.stderr
    data = result.json()
    assert data["macro"]["rows"] == 256 and data["adc_bits"] == [6.0]  # the paper's 2 + 0.5 log2(256)


def test_table_output_names_the_worst_layer():
    result = run_cli("accuracy", "--no-digits", "--rows", "64", "--noise", "0.3")
    assert result.returncode == 0, result.stderr
    assert "worst layer" in result.stdout and "64 rows" in result.stdout


def test_sqnr_constraint_reports_cheapest_aimc_and_best_dimc():
    result = run_cli("accuracy", "--no-digits", "--adc-bits", "6", "--min-sqnr", "20", "--json")
    assert result.returncode == 0, result.stderr
    found = result.json()["exploration"][0]
    assert found["cheapest_aimc"]["min_sqnr_db"] >= 20 and found["best_dimc"]["kind"] == "dimc"
    assert found["cheapest_aimc"]["energy_per_mac_fj"] < found["best_dimc"]["energy_per_mac_fj"]


@pytest.mark.parametrize("args,needle", [
    (("--adc-bits", "four"), "--adc-bits"),
    (("--adc-bits", "40"), "adc_bits"),
    (("--rows", "0"), "rows"),
    (("--noise", "-1"), "read_noise"),
    (("--bits-per-cycle", "9"), "bits_per_cycle"),
    (("--network", "no_such_net"), "no_such_net"),
    (("--hardware", "missing_file.yaml"), "missing_file.yaml"),
    (("--hardware", str(ROOT / "examples" / "paper_dimc_256.yaml")), "DIMC"),
    (("--digits", "--models", "rnn"), "--models"),
])
def test_bad_input_is_one_clear_line(args, needle):
    result = run_cli("accuracy", "--no-digits", *args)
    assert result.returncode == 2
    assert needle in result.stderr and "Traceback" not in result.stderr

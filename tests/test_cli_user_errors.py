"""What a real user hit (issue 13): names that do not exist, unwritable places, impossible inputs.

Each case must end in one clear line on stderr and a non-zero exit, never a traceback or an empty table.
"""

from __future__ import annotations

import pytest

from conftest import assert_user_error, run_cli
from imcbench.dse.runner import RunOptions, run_sweep
from imcbench.dse.spec import load_spec

SMALL = """
name: small
networks: [ds_cnn, deepautoencoder]
fixed: {cols: same_as_rows}
grid: {kind: [aimc, dimc], rows: [64]}
"""


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    spec = folder / "small.yaml"
    spec.write_text(SMALL)
    out = folder / "small.duckdb"
    run_sweep(load_spec(spec), out, RunOptions(executor="serial"))
    return spec, out


# --- item 12: names not present ---------------------------------------------------------------------
@pytest.mark.parametrize("command", ["pareto", "results"])
def test_unknown_network_lists_the_networks_present(small_db, command):
    _, out = small_db
    result = run_cli(command, out, "--network", "resnet8")
    assert_user_error(result, "'resnet8'", "deepautoencoder, ds_cnn")
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["pareto", "results"])
def test_known_network_still_selects_its_rows(small_db, command):
    _, out = small_db
    result = run_cli(command, out, "--network", "ds_cnn", "--json")
    assert result.returncode == 0, result.stderr
    rows = result.json()["rows"]
    assert rows and {r["network"] for r in rows} == {"ds_cnn"}


def test_unknown_preset_lists_the_presets():
    assert_user_error(run_cli("evaluate", "-n", "ds_cnn", "-H", "paper-foo-256"),
                      "'paper-foo-256'", "paper-aimc-N", "paper-dimc-N", "paper-aimc-256")

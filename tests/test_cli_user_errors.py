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


# --- items 18 and 19: unwritable places, impossible inputs ------------------------------------------
def _mount_tmpfs(where, options: str) -> bool:
    import subprocess

    where.mkdir(exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def _unmount(where) -> None:
    import subprocess

    subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def readonly_dir(tmp_path):
    """A folder nobody may write into: chmod for a normal user; for root (whom permissions do not stop),
    a read-only tmpfs. Holds a copy of ``small.duckdb`` when the fixture ``small_db`` ran first."""
    import os

    folder = tmp_path / "readonly"
    if os.geteuid() != 0:
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    yield from _tmpfs(folder, "size=8m", "running as root without permission to mount a read-only tmpfs")


def _tmpfs(folder, options: str, skip_reason: str):
    """Mount a tmpfs on ``folder`` for the test (skipped with ``skip_reason`` when that is not allowed)."""
    if not _mount_tmpfs(folder, options):
        pytest.skip(skip_reason)
    try:
        yield folder
    finally:
        _unmount(folder)


def _make_readonly(folder) -> None:
    import os
    import subprocess

    if os.geteuid() == 0:
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    else:
        folder.chmod(0o555)


@pytest.fixture
def full_dir(tmp_path):
    """A 64 KB file system: too small for a results database (needs root to mount)."""
    yield from _tmpfs(tmp_path / "full", "size=64k", "needs permission to mount a small tmpfs (root)")


def test_sweep_into_a_readonly_folder(small_db, readonly_dir):
    spec, _ = small_db
    _make_readonly(readonly_dir)
    result = run_cli("sweep", spec, "--out", readonly_dir / "new.duckdb", "--executor", "serial")
    assert_user_error(result, str(readonly_dir), "writable")


def test_readonly_results_file_is_not_called_corrupt(small_db, readonly_dir):
    import shutil

    spec, out = small_db
    copy = readonly_dir / "small.duckdb"
    shutil.copy(out, copy)
    copy.chmod(0o444)
    _make_readonly(readonly_dir)
    resumed = run_cli("sweep", spec, "--out", copy, "--executor", "serial")
    assert_user_error(resumed, "ead-only")
    assert "corrupt" not in resumed.stderr and "damaged" not in resumed.stderr
    read = run_cli("results", copy, "--json")  # reading it is fine
    assert read.returncode == 0 and len(read.json()["rows"]) == 4, read.stderr


def test_export_and_csv_into_a_readonly_folder(small_db, readonly_dir):
    _, out = small_db
    _make_readonly(readonly_dir)
    assert_user_error(run_cli("results", out, "--export", readonly_dir / "rows.csv"), "rows.csv")
    assert_user_error(run_cli("evaluate", "-n", "ds_cnn", "-H", "paper-aimc-64", "--csv", readonly_dir / "l.csv"),
                      "l.csv")


def test_study_into_a_readonly_folder(readonly_dir):
    _make_readonly(readonly_dir)
    assert_user_error(run_cli("study", "--out", readonly_dir / "study", timeout=300), str(readonly_dir))


def test_sweep_onto_a_full_disk(small_db, full_dir):
    spec, _ = small_db
    result = run_cli("sweep", spec, "--out", full_dir / "r.duckdb", "--executor", "serial")
    assert_user_error(result, "No space left on device")
    assert [p.name for p in full_dir.iterdir()] == []  # no half-built database, no temporary file


def test_full_disk_in_a_python_writer_is_one_line(monkeypatch, tmp_path, capsys):
    """An ENOSPC raised where Python writes (os.replace of --csv) ends in one line and exit 2."""
    import errno
    import os

    from imcbench.cli import main

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[-1]))

    monkeypatch.setattr(os, "replace", no_space)
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "-n", "ds_cnn", "-H", "paper-aimc-64", "--csv", str(tmp_path / "l.csv")])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "l.csv").exists()


def test_scheduler_that_is_not_an_address(small_db, tmp_path):
    pytest.importorskip("dask.distributed")
    spec, _ = small_db
    result = run_cli("sweep", spec, "--out", tmp_path / "r.duckdb", "--executor", "dask", "--scheduler",
                     "not-an-address")
    assert_user_error(result, "'not-an-address'", "tcp://HOST:PORT")


def test_out_path_that_is_not_utf8(small_db, tmp_path):
    spec, _ = small_db
    result = run_cli("sweep", spec, "--out", str(tmp_path) + "/\udcff.duckdb", "--executor", "serial")
    assert_user_error(result, "not valid UTF-8")
    assert list(tmp_path.iterdir()) == []


def test_nan_constraint(tmp_path):
    spec = tmp_path / "nan.yaml"
    spec.write_text(SMALL + "constraints: {max_area_mm2: .nan}\n")
    assert_user_error(run_cli("sweep", spec, "--out", tmp_path / "r.duckdb"), "max_area_mm2", "finite")
    assert not (tmp_path / "r.duckdb").exists()


def test_sweep_without_a_valid_design_fails_with_the_reasons(tmp_path):
    spec = tmp_path / "none.yaml"
    spec.write_text("networks: [ds_cnn]\nfixed: {cols: same_as_rows}\ngrid: {kind: [aimc, dimc], rows: [3, 5]}\n")
    result = run_cli("sweep", spec, "--out", tmp_path / "r.duckdb", "--executor", "serial")
    assert_user_error(result, "no valid design point among the 4 requested", "4 x cols must be a multiple")
    assert not (tmp_path / "r.duckdb").exists()


def test_sweep_whose_every_evaluation_is_skipped_fails_with_the_reasons(tmp_path):
    spec = tmp_path / "tight.yaml"
    spec.write_text(SMALL + "constraints: {max_area_mm2: 0.001}\n")
    result = run_cli("sweep", spec, "--out", tmp_path / "r.duckdb", "--executor", "serial", "--json")
    assert result.returncode == 2, result.stderr
    assert result.json()["stored"] == 0  # the summary is still printed
    last = result.stderr.strip().splitlines()[-1]
    assert "all 4 evaluations were skipped" in last and "4 x constraint: max_area_mm2" in last


def test_lost_dask_scheduler_is_one_line(tmp_path):
    """The scheduler dies mid-sweep: one line (not 35 lines of distributed's tracebacks), exit 2, and the
    batches stored before are kept."""
    pytest.importorskip("dask.distributed")
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--dashboard-address", ":0"], **quiet)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1"],
                              **quiet)
    spec = tmp_path / "long.yaml"
    spec.write_text("networks: [deepautoencoder]\nfixed: {cols: same_as_rows}\n"
                    "grid: {kind: [aimc, dimc], rows: [32, 64, 128], vdd: [0.7, 0.8, 0.9, 1.0, 1.1], "
                    "node_nm: [16, 22, 28, 40, 65, 90], dram_pj_per_bit: [1, 2, 3, 4, 5, 6, 7, 8]}\n")
    try:
        sweep = subprocess.Popen([sys.executable, "-m", "imcbench", "sweep", str(spec), "--out",
                                  str(tmp_path / "r.duckdb"), "--executor", "dask", "--scheduler", address,
                                  "--batch-size", "4"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = sweep.stderr.readline()
        assert first.startswith("sweep: "), first + sweep.stderr.read()
        scheduler.kill()
        _, stderr = sweep.communicate(timeout=120)
    finally:
        for proc in (scheduler, worker):
            proc.kill()
            proc.wait()
    assert sweep.returncode == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and not line.startswith("sweep: ")]
    assert len(lines) == 1 and "lost the connection to the Dask scheduler or a worker" in lines[0], stderr
    check = run_cli("results", tmp_path / "r.duckdb", "--json")
    assert check.returncode == 0 and check.json()["rows"], check.stderr

"""Outputs: atomic writes, no overwrite without --force, names from input files stay inside the output folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import run_cli
from imcbench.errors import ImcbenchError
from imcbench.safeio import (MAX_FILENAME_CHARS, TMP_MARK, StagedFolder, atomic_path, atomic_write_text,
                             check_output_folder, ensure_writable, safe_filename, safe_join)


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if TMP_MARK in p.name]


# --- atomic writes ------------------------------------------------------------------------------------------
def test_atomic_write_replaces_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "sub" / "report.csv"  # missing folders are created
    atomic_write_text(path, "one\n")
    atomic_write_text(path, "two\n")
    assert path.read_text() == "two\n" and _leftovers(tmp_path) == []


def test_failed_write_keeps_the_previous_file(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("precious results\n")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half a fi")
            raise RuntimeError("disk full, Ctrl-C, bug ...")
    assert path.read_text() == "precious results\n" and _leftovers(tmp_path) == []


def test_killed_writer_never_publishes_a_partial_file(tmp_path):
    """A process killed in the middle of a write (os._exit: no cleanup at all) leaves the old file intact."""
    path = tmp_path / "db.csv"
    path.write_text("old complete file\n")
    code = ("import os, sys; from imcbench.safeio import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    tmp.write_text('partial'); os._exit(9)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], timeout=60)
    assert proc.returncode == 9
    assert path.read_text() == "old complete file\n"


def test_temporary_file_keeps_the_suffix_and_normal_permissions(tmp_path):
    plain = tmp_path / "plain.png"
    plain.write_bytes(b"x")
    with atomic_path(tmp_path / "figure.png") as tmp:
        assert tmp.suffix == ".png" and tmp.parent == tmp_path  # writers pick the format from the suffix
        tmp.write_bytes(b"png")
    assert (tmp_path / "figure.png").stat().st_mode == plain.stat().st_mode  # not mkstemp's 0600


# --- the --force policy ---------------------------------------------------------------------------------------
def test_ensure_writable(tmp_path):
    path = tmp_path / "out.csv"
    assert ensure_writable(path, force=False) == path  # absent: fine
    path.write_text("x")
    with pytest.raises(ImcbenchError, match="--csv .*out.csv: already exists; pass --force"):
        ensure_writable(path, force=False, option="--csv")
    assert ensure_writable(path, force=True) == path
    with pytest.raises(ImcbenchError, match="is a folder"):
        ensure_writable(tmp_path, force=True)
    with pytest.raises(ImcbenchError, match="is a file, not a folder"):
        check_output_folder(path, [], force=True)


def test_staged_folder_moves_everything_or_nothing(tmp_path):
    out = tmp_path / "out"
    with StagedFolder(out, force=False) as stage:
        (stage.path / "a.csv").write_text("a")
        (stage.path / "figs").mkdir()
        (stage.path / "figs" / "b.svg").write_text("b")
    assert sorted(p.relative_to(out).as_posix() for p in stage.written) == ["a.csv", "figs/b.svg"]
    assert (out / "figs" / "b.svg").read_text() == "b" and _leftovers(out) == []

    with pytest.raises(ImcbenchError, match=r"b.svg already exists; pass --force .*\(nothing was written\)"):
        with StagedFolder(out, force=False) as stage:
            (stage.path / "new.csv").write_text("new")
            (stage.path / "figs").mkdir()
            (stage.path / "figs" / "b.svg").write_text("B")
    assert not (out / "new.csv").exists() and (out / "figs" / "b.svg").read_text() == "b"

    with pytest.raises(ZeroDivisionError):
        with StagedFolder(out, force=True) as stage:
            (stage.path / "a.csv").write_text("A")
            1 / 0
    assert (out / "a.csv").read_text() == "a" and _leftovers(out) == []

    with StagedFolder(out, force=True) as stage:
        (stage.path / "a.csv").write_text("A")
    assert (out / "a.csv").read_text() == "A"


def test_staged_folder_refuses_to_publish_symlinks(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ImcbenchError, match="symbolic link"):
        with StagedFolder(out, force=False) as stage:
            (stage.path / "passwd").symlink_to("/etc/passwd")
    assert not (out / "passwd").exists()


# --- names from input files --------------------------------------------------------------------------------------
@pytest.mark.parametrize("relative, needle", [
    ("/etc/passwd", "absolute"), ("../x", "'..'"), ("a/../../x", "'..'"), ("..\\..\\x", "'..'"),
    ("", "empty"), ("a\x00b", "NUL"), (".", "output folder"),
])
def test_safe_join_refuses_escapes(tmp_path, relative, needle):
    with pytest.raises(ImcbenchError, match=needle):
        safe_join(tmp_path, relative)


def test_safe_join_refuses_a_symlink_out_of_the_root(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(ImcbenchError, match="symbolic link"):
        safe_join(root, "link/x.csv")
    (root / "inside").mkdir()
    (root / "ok").symlink_to(root / "inside")
    assert safe_join(root, "ok/x.csv") == root / "ok" / "x.csv"  # a link that stays inside is fine


@pytest.mark.parametrize("name, expected", [
    ("../../etc/x", "etc_x"), ("resnet8", "resnet8"), ("my net (v2).onnx", "my_net_v2_.onnx"),
    ("", "unnamed"), ("..", "unnamed"), (".hidden", "hidden"), ("CON", "_CON"), ("nul.txt", "_nul.txt"),
    ("C:\\Windows\\x", "C_Windows_x"), ("a\x00b", "a_b"), ("réseau", "r_seau"),
])
def test_safe_filename_examples(name, expected):
    assert safe_filename(name) == expected


def test_long_names_are_cut_but_stay_distinct():
    a, b = safe_filename("x" * 500 + "a"), safe_filename("x" * 500 + "b")
    assert len(a) <= MAX_FILENAME_CHARS and len(b) <= MAX_FILENAME_CHARS and a != b


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_name_becomes_one_file_inside_the_folder(tmp_path_factory, name):
    """Property: whatever a network or layer is called, its file lands directly inside the output folder."""
    root = tmp_path_factory.getbasetemp() / "names"
    root.mkdir(exist_ok=True)
    clean = safe_filename(name)
    assert 0 < len(clean) <= MAX_FILENAME_CHARS and not clean.startswith(".")
    assert safe_join(root, clean).parent == root


# --- the CLI commands that write files --------------------------------------------------------------------------
def test_evaluate_csv_needs_force_to_overwrite(tmp_path):
    csv = tmp_path / "layers.csv"
    csv.write_text("keep me\n")
    result = run_cli("evaluate", "-n", "ds_cnn", "-H", "paper-aimc-64", "--csv", csv)
    assert result.returncode == 2 and "already exists; pass --force" in result.stderr
    assert "Traceback" not in result.stderr and csv.read_text() == "keep me\n"
    result = run_cli("evaluate", "-n", "ds_cnn", "-H", "paper-aimc-64", "--csv", csv, "--force", "--json")
    assert result.returncode == 0, result.stderr
    assert csv.read_text().startswith("name,kind,macs") and len(csv.read_text().splitlines()) == 11  # 10 layers
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("args", [
    ("evaluate", "-n", "ds_cnn", "-H", "paper-aimc-64", "--csv", "{tmp}"),  # a folder where a file goes
    ("calibrate", "--out", "{tmp}"),
    ("scaling", "--out", "{file}"),  # a file where a folder goes
])
def test_output_paths_of_the_wrong_kind_are_user_errors(tmp_path, args):
    """These raised IsADirectoryError / FileExistsError tracebacks before."""
    file = tmp_path / "file.txt"
    file.write_text("x")
    result = run_cli(*[a.replace("{tmp}", str(tmp_path)).replace("{file}", str(file)) for a in args])
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--csv" in result.stderr or "--out" in result.stderr


def test_validate_out_refuses_to_overwrite_a_figure(tmp_path):
    """Checked when the files move in: nothing is written, the existing figure is intact."""
    from conftest import shared_path

    out = tmp_path / "out"
    out.mkdir()
    (out / "chip_landscape.svg").write_text("mine")
    result = run_cli("validate", "--chips", shared_path("imc_data", "chips_train.csv"), "--calibration", "paper",
                     "--out", out, "--json")
    assert result.returncode == 2 and "chip_landscape.svg already exists" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["chip_landscape.svg"]
    assert (out / "chip_landscape.svg").read_text() == "mine"


def test_results_export_needs_force_to_overwrite(tmp_path):
    pytest.importorskip("imcbench.dse.store", reason="imcbench.dse not available")
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: t\nnetworks: [deepautoencoder]\nhardware: {preset: paper}\nfixed: {cols: same_as_rows}\n"
                    "grid:\n  kind: [aimc]\n  rows: [32]\n")
    database = tmp_path / "t.duckdb"
    assert run_cli("sweep", spec, "--out", database, "--executor", "serial").returncode == 0
    target = tmp_path / "rows.csv"
    target.write_text("keep me\n")
    result = run_cli("results", database, "--export", target)
    assert result.returncode == 2 and "--export" in result.stderr and "already exists" in result.stderr
    assert target.read_text() == "keep me\n"
    assert run_cli("results", database, "--export", target, "--force").returncode == 0
    assert target.read_text().startswith("point_id")


def test_hetero_out_refuses_to_overwrite(tmp_path):
    out = tmp_path / "hetero"
    out.mkdir()
    (out / "hetero.json").write_text("{}")
    args = ("hetero", "-n", "mobilenet_v2", "--block", "8", "-s", Path(__file__).parents[1] / "examples" / "hetero_ima.yaml",
            "--out", out)
    result = run_cli(*args)
    assert result.returncode == 2 and "hetero.json: already exists; pass --force" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["hetero.json"] and (out / "hetero.json").read_text() == "{}"
    assert run_cli(*args, "--force").returncode == 0
    assert json.loads((out / "hetero.json").read_text()) and _leftovers(out) == []

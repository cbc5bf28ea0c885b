"""imcbench's ONNX importer on real exports: MAC totals against an independent count.

Reads tests/data/exports/manifest.json (made by scripts/make_real_exports.py; torch is NOT needed here),
loads every listed file with ``imcbench.load_workload`` and prints, per file: exporter, layers, imcbench
MACs, the independent MACs (torch FlopCounterMode + hand formulas for recurrent cells), their ratio and a
status computed from the two numbers (exact / within the manifest's tolerance / off by x / the error).

With ``--package-models`` it also loads every ``*.onnx`` shipped inside the installed onnx and
onnxruntime packages (onnx's backend test data, onnxruntime's test models) and counts: loaded, clean
errors (ImcbenchError: the importer refused the file with a message) and crashes (any other exception:
an importer bug), listing the crashes.

Usage::

    PYTHONPATH=src python3.11 benchmarks/bench_real_exports.py
    PYTHONPATH=src python3.11 benchmarks/bench_real_exports.py --package-models
    PYTHONPATH=src python3.11 benchmarks/bench_real_exports.py --json out.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from imcbench import ImcbenchError, load_workload

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = ROOT / "tests" / "data" / "exports"
MANIFEST = EXPORTS / "manifest.json"


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    """The manifest's file entries (committed files only)."""
    return [e for e in json.loads(path.read_text())["files"] if e.get("committed", True)]


def measure(entry: dict, folder: Path = EXPORTS) -> dict:
    """imcbench's view of one manifest file: layers, MACs, warnings, status against the independent count."""
    path = folder / entry["file"]
    row = {"file": entry["file"], "exporter": entry["exporter"], "independent_macs": entry["independent_macs"],
           "layers": None, "imcbench_macs": None, "ratio": None, "warnings": []}
    if not path.exists():
        row["status"] = "missing file (run scripts/make_real_exports.py)"
        return row
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net = load_workload(path)
    except ImcbenchError as exc:
        row["status"] = f"error: {str(exc).replace(str(path) + ': ', '')[:150]}"
        return row
    except Exception as exc:  # an importer bug, reported as such
        row["status"] = f"CRASH {type(exc).__name__}: {str(exc)[:150]}"
        return row
    row["warnings"] = [str(w.message) for w in caught]
    row["layers"], row["imcbench_macs"] = len(net), net.total_macs
    row["ratio"] = net.total_macs / entry["independent_macs"]
    row["status"] = status(net.total_macs, entry)
    return row


def status(macs: int, entry: dict) -> str:
    """exact, within the documented tolerance, or off by the ratio."""
    ref = entry["independent_macs"]
    if macs == ref:
        return "exact"
    tolerance = entry.get("tolerance")
    if tolerance is not None and abs(macs - ref) <= tolerance * ref:
        return f"within {tolerance:.1%} ({entry.get('tolerance_reason')})"
    return f"off by x{macs / ref:.4f}"


def _category(row: dict) -> str:
    if row["status"] == "exact" or row["status"].startswith("within"):
        return "exact"
    if row["status"].startswith("off by"):
        return "off"
    return "failed"


def print_table(rows: list[dict]) -> None:
    width = max(len(r["file"]) for r in rows)
    print(f"{'file':{width}s}  {'exporter':21s} {'layers':>6s} {'imcbench MACs':>15s} {'independent':>15s} "
          f"{'ratio':>7s} {'warn':>4s}  status")
    for r in rows:
        layers = "-" if r["layers"] is None else str(r["layers"])
        macs = "-" if r["imcbench_macs"] is None else f"{r['imcbench_macs']:,d}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.4f}"
        print(f"{r['file']:{width}s}  {r['exporter']:21s} {layers:>6s} {macs:>15s} {r['independent_macs']:>15,d} "
              f"{ratio:>7s} {len(r['warnings']):>4d}  {r['status']}")
    counts = Counter(_category(r) for r in rows)
    print(f"\n{len(rows)} files: {counts['exact']} exact, {counts['off']} loaded but off, {counts['failed']} failed; "
          f"{sum(1 for r in rows if r['warnings'])} loaded with importer warnings (column warn)")


def record_known_failures(rows: list[dict], label: str, path: Path = MANIFEST) -> None:
    """Set known_failure of every measured manifest entry from this run's status (None when exact)."""
    data = json.loads(path.read_text())
    status_of = {r["file"]: r for r in rows}
    for entry in data["files"]:
        row = status_of.get(entry["file"])
        if row is not None:
            entry["known_failure"] = None if _category(row) == "exact" else f"importer of {label}: {row['status']}"
    path.write_text(json.dumps(data, indent=1) + "\n")
    print(f"known_failure fields written to {path}")


def package_model_paths() -> list[Path]:
    """Every *.onnx inside the installed onnx and onnxruntime packages."""
    paths: list[Path] = []
    for package in ("onnx", "onnxruntime"):
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            print(f"package {package} is not installed; its models are not scanned")
            continue
        for location in spec.submodule_search_locations:
            paths.extend(sorted(Path(location).rglob("*.onnx")))
    return paths


def scan_package_models() -> None:
    """Load each packaged ONNX file; count loaded / clean errors / crashes and list the crashes."""
    paths = package_model_paths()
    counts: Counter[str] = Counter()
    crashes: list[tuple[Path, str]] = []
    errors: Counter[str] = Counter()
    start = time.time()
    for path in paths:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                load_workload(path)
            counts["loaded"] += 1
            if any("left out" in str(w.message) for w in caught):
                counts["loaded, MACs left out"] += 1
        except ImcbenchError as exc:
            counts["clean error"] += 1
            errors[_error_kind(str(exc), path)] += 1
        except Exception as exc:  # noqa: BLE001 - any other exception is an importer bug
            counts["crash"] += 1
            crashes.append((path, f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"))
    print(f"\npackaged ONNX files: {len(paths)} scanned in {time.time() - start:.1f} s: {counts['loaded']} loaded, "
          f"{counts['clean error']} clean errors (ImcbenchError), {counts['crash']} crashes (other exceptions); "
          f"{counts['loaded, MACs left out']} of the loaded ones leave MAC operators out (warned)")
    for kind, n in errors.most_common(8):
        print(f"  {n:4d} x error: {kind}")
    for path, text in crashes:
        print(f"  CRASH {path}: {text}")


def _error_kind(message: str, path: Path) -> str:
    """The error message without the file path and node names, to group similar refusals."""
    text = message.replace(f"{path}: ", "")
    return text.split(";")[0].split("'")[0][:90]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package-models", action="store_true",
                        help="also scan the .onnx files inside the installed onnx/onnxruntime packages")
    parser.add_argument("--json", type=Path, help="write the rows to this JSON file")
    parser.add_argument("--record-known-failures", metavar="IMPORTER_LABEL",
                        help="(e.g. 'main bb25b0f') write each file's status on THIS importer into the manifest's "
                             "known_failure "
                             "field (None when exact), which tests/test_real_exports.py turns into xfail marks")
    args = parser.parse_args(argv)
    if not MANIFEST.exists():
        print(f"{MANIFEST} is missing: run scripts/make_real_exports.py first")
        return 1
    rows = [measure(entry) for entry in load_manifest()]
    print_table(rows)
    if args.record_known_failures:
        record_known_failures(rows, args.record_known_failures)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    if args.package_models:
        scan_package_models()
    return 0


if __name__ == "__main__":
    sys.exit(main())

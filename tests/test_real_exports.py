"""Real ONNX exports (torchvision, timm, transformers from configs, torch.nn; classic and dynamo exporters;
onnxruntime-processed files): imcbench's MAC total equals an independent count made in torch.

The files and counts come from scripts/make_real_exports.py (tests/data/exports/manifest.json); torch is
not needed here. Entries with ``known_failure`` in the manifest fail on the importer they were recorded
against and run as non-strict xfail until the importer handles them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import onnx
import pytest

from imcbench import load_workload

EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
MANIFEST = json.loads((EXPORTS / "manifest.json").read_text())
ENTRIES = [e for e in MANIFEST["files"] if e["committed"]]


def _param(entry: dict):
    marks = [pytest.mark.xfail(strict=False, reason=entry["known_failure"])] if entry["known_failure"] else []
    return pytest.param(entry, id=entry["file"].removesuffix(".onnx"), marks=marks)


@pytest.mark.parametrize("entry", [_param(e) for e in ENTRIES])
def test_mac_total_matches_independent_count(entry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a symbolic batch taken as 1 is expected for some exporters
        net = load_workload(EXPORTS / entry["file"])
    expected = entry["independent_macs"]
    if entry["tolerance"] is None:
        assert net.total_macs == expected
    else:  # only where the manifest documents a convention difference (tolerance_reason)
        assert entry["tolerance_reason"]
        assert net.total_macs == pytest.approx(expected, rel=entry["tolerance"])


def test_manifest_counts_add_up():
    """Each independent total is the sum of its per-operator counts, and no file is listed twice."""
    for entry in MANIFEST["files"]:
        assert sum(entry["independent_per_op"].values()) == entry["independent_macs"], entry["file"]
    assert len({e["file"] for e in MANIFEST["files"]}) == len(MANIFEST["files"])


def test_committed_files_are_graph_only():
    """Every committed file is present and holds no initializer of 1024 bytes or more: the weights live in
    the (uncommitted) external data, which imcbench never reads."""
    for entry in ENTRIES:
        path = EXPORTS / entry["file"]
        assert path.exists(), f"{path} is listed in the manifest but missing"
        assert path.stat().st_size == entry["graph_bytes"]
        model = onnx.load(str(path), load_external_data=False)
        inline = [t.name for t in model.graph.initializer
                  if t.data_location != onnx.TensorProto.EXTERNAL and len(t.raw_data) >= 1024]
        assert not inline, (entry["file"], inline[:3])
        assert any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer), entry["file"]


def test_corpus_is_diverse():
    """The corpus covers the tools and exporters the importer must read."""
    sources = {e["source"] for e in ENTRIES}
    exporters = {e["exporter"] for e in ENTRIES}
    assert {"torchvision", "transformers", "torch.nn"} <= sources
    assert {"classic", "dynamo", "classic_functions"} <= exporters
    assert any(e.startswith("ort_") for e in exporters)

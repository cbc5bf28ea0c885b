"""Mutation fuzzing of the ONNX importer over the models in ../shared/workloads (seeded, deterministic).

* bytes: flipped bits, truncations, inserted, duplicated and zeroed runs, on the real files and on their
  skeletons (initializer data dropped, so that most mutations hit the graph rather than the weights);
* structure: parsed models with random attribute values, shapes, operator types, re-wired, removed or
  duplicated inputs and nodes (cycles and dangling references included).

Every case gives a valid network or one ImcbenchError line naming the file; never another exception.
A sample goes through the real command line (exit status 2, no traceback). Case counts are printed
(``pytest -s``) and asserted.
"""

from __future__ import annotations

import random
import warnings
from collections import Counter
from pathlib import Path

import onnx
import pytest

from conftest import run_cli, shared_path
from imcbench import limits
from imcbench.errors import ImcbenchError
from imcbench.workload.onnx_import import load_onnx

BYTE_CASES = 1500  # bulk, Python API
STRUCTURE_CASES = 500
CLI_CASES = 4  # a sample through `imcbench workload`
SEED = 20231030


def _models() -> list[Path]:
    files = sorted(shared_path("workloads").glob("*/*.onnx"))
    if not files:
        pytest.skip("no ONNX files in ../shared/workloads")
    return files


def _skeleton(path: Path) -> bytes:
    """The model without initializer data: shapes, types and graph only (what the importer reads)."""
    model = onnx.load(str(path), load_external_data=False)
    for tensor in model.graph.initializer:
        for name in ("raw_data", "float_data", "int32_data", "int64_data", "double_data"):
            tensor.ClearField(name)
    return model.SerializeToString()


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    kind = rng.choice(["flip", "flip", "truncate", "insert", "duplicate", "zero"])
    i = rng.randrange(len(buf))
    if kind == "flip":
        for _ in range(rng.randint(1, 8)):
            j = rng.randrange(len(buf))
            buf[j] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del buf[i:]
    elif kind == "insert":
        buf[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    elif kind == "duplicate":
        buf[i:i] = buf[i:i + rng.randint(1, 200)]
    else:
        end = min(len(buf), i + rng.randint(1, 64))
        buf[i:end] = bytes(end - i)
    return bytes(buf)


ODD_INTS = [-5, -1, 0, 1, 2, 3, 7, 2**31, 2**40, 2**62]
MAC_OPS = ["Conv", "MatMul", "Gemm", "QLinearConv", "MatMulInteger", "ConvInteger", "QLinearMatMul"]


def mutate_structure(model: onnx.ModelProto, rng: random.Random) -> None:
    """One random structural change of ``model`` (in place)."""
    graph = model.graph
    node = rng.choice(graph.node)
    tensors = [name for n in graph.node for name in (*n.input, *n.output)] or ["x"]
    kind = rng.choice(["attribute", "attribute", "shape", "op", "rewire", "drop_input", "drop_node",
                       "duplicate_node", "initializer_dims"])
    if kind == "attribute" and node.attribute:
        attr = rng.choice(node.attribute)
        if attr.ints:
            attr.ints[rng.randrange(len(attr.ints))] = rng.choice(ODD_INTS)
            if rng.random() < 0.3:
                del attr.ints[-1]
        elif attr.type == onnx.AttributeProto.INT:
            attr.i = rng.choice(ODD_INTS)
        else:
            attr.type = onnx.AttributeProto.FLOAT  # a type the importer does not expect
            attr.f = 1.5
    elif kind == "shape":
        values = [*graph.input, *graph.value_info, *graph.output]
        if values:
            dims = rng.choice(values).type.tensor_type.shape.dim
            if dims:
                dim = dims[rng.randrange(len(dims))]
                if rng.random() < 0.2:
                    dim.dim_param = "N"
                else:
                    dim.dim_value = rng.choice(ODD_INTS)
    elif kind == "op":
        node.op_type = rng.choice(MAC_OPS)
    elif kind == "rewire" and node.input:
        node.input[rng.randrange(len(node.input))] = rng.choice([*tensors, "nowhere"])  # cycles, dangling
    elif kind == "drop_input" and node.input:
        del node.input[rng.randrange(len(node.input))]
    elif kind == "drop_node" and len(graph.node) > 1:
        graph.node.remove(node)
    elif kind == "duplicate_node":
        graph.node.append(node)  # the same outputs produced twice
    elif kind == "initializer_dims" and graph.initializer:
        tensor = rng.choice(graph.initializer)
        if tensor.dims:
            tensor.dims[rng.randrange(len(tensor.dims))] = rng.choice(ODD_INTS)


def check_case(path: Path, outcomes: Counter) -> None:
    """Import ``path``: a valid network within the limits, or one ImcbenchError line naming the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            network = load_onnx(path)
    except ImcbenchError as exc:
        message = str(exc)
        assert "\n" not in message and str(path) in message, message
        outcomes["clean error"] += 1
        return
    assert 0 < len(network) <= limits.MAX_LAYERS
    assert len({layer.name for layer in network}) == len(network)
    for layer in network:
        assert all(1 <= v <= limits.MAX_LOOP_BOUND for v in layer.dims.values()), layer
        assert layer.macs <= limits.MAX_LAYER_MACS
    outcomes["valid network"] += 1


def test_byte_mutations(tmp_path):
    rng = random.Random(SEED)
    originals = {p: p.read_bytes() for p in _models()}
    skeletons = {p: _skeleton(p) for p in originals}
    outcomes: Counter = Counter()
    path = tmp_path / "mutant.onnx"
    for _ in range(BYTE_CASES):
        source = rng.choice(sorted(originals))
        data = originals[source] if rng.random() < 0.5 else skeletons[source]
        path.write_bytes(mutate_bytes(data, rng))
        check_case(path, outcomes)
    print(f"\nONNX byte mutations: {sum(outcomes.values())} cases: {dict(outcomes)}")
    assert sum(outcomes.values()) == BYTE_CASES
    assert outcomes["clean error"] > 0 and outcomes["valid network"] > 0  # both kinds of outcome exercised


def test_structure_mutations(tmp_path):
    rng = random.Random(SEED + 1)
    skeletons = {p: _skeleton(p) for p in _models()}
    outcomes: Counter = Counter()
    path = tmp_path / "mutant.onnx"
    for _ in range(STRUCTURE_CASES):
        model = onnx.ModelProto.FromString(skeletons[rng.choice(sorted(skeletons))])
        for _ in range(rng.randint(1, 3)):
            mutate_structure(model, rng)
        path.write_bytes(model.SerializeToString())
        check_case(path, outcomes)
    print(f"\nONNX structure mutations: {sum(outcomes.values())} cases: {dict(outcomes)}")
    assert sum(outcomes.values()) == STRUCTURE_CASES
    assert outcomes["clean error"] > 0 and outcomes["valid network"] > 0


def test_mutants_through_the_cli(tmp_path):
    """A sample of mutants that the importer refuses, through the real entry point: exit 2, one line."""
    rng = random.Random(SEED + 2)
    skeletons = {p: _skeleton(p) for p in _models()}
    tried = 0
    while tried < CLI_CASES:
        model = onnx.ModelProto.FromString(skeletons[rng.choice(sorted(skeletons))])
        mutate_structure(model, rng)
        path = tmp_path / f"mutant{tried}.onnx"
        data = mutate_bytes(model.SerializeToString(), rng) if tried % 2 else model.SerializeToString()
        path.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                load_onnx(path)
            continue  # still a valid model: not interesting for the error path
        except ImcbenchError:
            pass
        result = run_cli("workload", path, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        assert path.name in result.stderr
        tried += 1

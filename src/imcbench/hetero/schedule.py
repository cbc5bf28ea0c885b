"""A pipelined schedule over row tiles: which engine runs which tile of which layer, and when.

Every layer is cut into row tiles of its output. A consumer tile may start once the producer tiles holding
the input rows it reads (its receptive field, stride and padding included) have ended, plus a hand-off delay
when they ran on another engine. Each engine runs its tiles one at a time, in layer order then tile order
(in-order list scheduling): consecutive layers on different engines overlap (a MobileNetV2 bottleneck's
rows flow pw -> dw -> pw across the IMA and the cores), layers on one engine do not.

An engine's tile of a layer lasts (its share's time) / tiles + a per-tile overhead; an IMA that must
reprogram its crossbars for the layer first runs a programming task.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imcbench.workload import Layer, Network


@dataclass(frozen=True)
class Part:
    """One engine's share of a layer, as the scheduler needs it (ns)."""

    engine: str
    duration_ns: float
    tile_overhead_ns: float = 0.0
    program_ns: float = 0.0


@dataclass(frozen=True)
class Schedule:
    """The timeline: one row per task (arrays of equal length), the makespan and each engine's busy time."""

    engine: tuple[str, ...]
    layer: tuple[str, ...]
    tile: np.ndarray
    start_ns: np.ndarray
    end_ns: np.ndarray
    kind: tuple[str, ...]  # "compute" or "program"

    @property
    def makespan_ns(self) -> float:
        return float(self.end_ns.max()) if len(self.end_ns) else 0.0

    def busy_ns(self) -> dict[str, float]:
        """Time each engine spends on tasks (compute and programming)."""
        busy: dict[str, float] = {}
        for engine, start, end in zip(self.engine, self.start_ns, self.end_ns):
            busy[engine] = busy.get(engine, 0.0) + float(end - start)
        return busy

    def to_records(self) -> list[dict]:
        return [{"engine": e, "layer": l, "tile": int(t), "start_ns": float(s), "end_ns": float(f), "kind": k}
                for e, l, t, s, f, k in zip(self.engine, self.layer, self.tile, self.start_ns, self.end_ns,
                                            self.kind)]


def tile_bounds(layer: Layer, row_tiles: int) -> np.ndarray:
    """Row boundaries of the layer's output tiles: min(OY, row_tiles) tiles of near-equal height."""
    n = max(1, min(layer.OY, row_tiles))
    return np.floor(np.arange(n + 1) * layer.OY / n).astype(int)


def last_producer_tile(consumer: Layer, producer: Layer, consumer_bounds: np.ndarray,
                       producer_bounds: np.ndarray) -> np.ndarray:
    """For each consumer tile, the index of the last producer tile it reads.

    Consumer output rows [r0, r1) read input rows up to (r1 - 1) * stride - pad_top + (FY - 1) * dilation.
    When the producer's height is the consumer's input height (up to the rows a stride and the bottom
    padding leave unread) rows map one to one; otherwise a pooling sits between them and input row x of
    IY maps to producer rows up to ceil((x + 1) * producer.OY / IY) - 1 (a global pool: every row).
    """
    last_out = consumer_bounds[1:] - 1
    last_in = last_out * consumer.stride[0] - consumer.padding[0] + (consumer.FY - 1) * consumer.dilation[0]
    iy = consumer.IY
    if iy <= producer.OY <= iy + consumer.stride[0] + consumer.padding[2]:
        last_row = np.clip(last_in, 0, producer.OY - 1)
    else:
        last_in = np.clip(last_in, 0, iy - 1)
        last_row = np.minimum(np.ceil((last_in + 1) * producer.OY / iy).astype(int) - 1, producer.OY - 1)
    return np.searchsorted(producer_bounds, last_row, side="right") - 1


def schedule(network: Network, parts: dict[str, list[Part]], row_tiles: int, handoff_ns: float,
             tiling: dict | None = None) -> Schedule:
    """Place every tile of every layer (see the module docstring); ``parts[layer]`` lists its engines.

    ``tiling``: a dict reused between calls on the same network (tile counts and producer-tile maps).
    """
    rows: list[tuple] = []
    _place(network, parts, row_tiles, handoff_ns, tiling, rows)
    if not rows:
        return Schedule((), (), np.zeros(0, int), np.zeros(0), np.zeros(0), ())
    engine, name, tile, start, stop, kind = zip(*rows)
    return Schedule(engine, name, np.array(tile), np.array(start, float), np.array(stop, float), kind)


def makespan(network: Network, parts: dict[str, list[Part]], row_tiles: int, handoff_ns: float,
             tiling: dict | None = None) -> float:
    """The makespan of :func:`schedule` without building the task table (the search's inner loop)."""
    return _place(network, parts, row_tiles, handoff_ns, tiling, None)


def _place(network: Network, parts: dict[str, list[Part]], row_tiles: int, handoff_ns: float,
           tiling: dict | None, rows: list | None) -> float:
    """Schedule in layer order; append task rows to ``rows`` when given; return the makespan."""
    tiling = {} if tiling is None else tiling
    free: dict[str, float] = {}
    ends: dict[str, list[tuple[str, np.ndarray]]] = {}  # layer -> [(engine, end of each tile)]
    latest = 0.0
    for layer in network:
        if layer.name not in tiling:
            b = tile_bounds(layer, row_tiles)
            tiling[layer.name] = (len(b) - 1, {p: last_producer_tile(layer, network[p], b,
                                                                     tile_bounds(network[p], row_tiles))
                                               for p in layer.inputs})
        n, producer_hi = tiling[layer.name]
        k = np.arange(n)
        layer_ends = []
        for part in parts[layer.name]:
            ready = np.zeros(n)
            for p, hi in producer_hi.items():
                for engine, end in ends[p]:
                    ready = np.maximum(ready, end[hi] + (handoff_ns if engine != part.engine else 0.0))
            t0 = free.get(part.engine, 0.0)
            if part.program_ns > 0 and rows is not None:
                rows.append((part.engine, layer.name, -1, t0, t0 + part.program_ns, "program"))
            t0 += part.program_ns
            d = part.duration_ns / n + part.tile_overhead_ns
            # in-order engine: end_j = (j + 1) d + max(t0, max_{i <= j} (ready_i - i d))
            end = (k + 1) * d + np.maximum(t0, np.maximum.accumulate(ready - k * d))
            free[part.engine] = float(end[-1])
            latest = max(latest, free[part.engine])
            layer_ends.append((part.engine, end))
            if rows is not None:
                rows.extend((part.engine, layer.name, j, e - d, e, "compute") for j, e in zip(k, end))
        ends[layer.name] = layer_ends
    return latest

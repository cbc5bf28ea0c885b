"""Engines of a heterogeneous cluster and the cost of (a share of) one layer on each.

A PULP-like cluster (Ottavi et al., arXiv 2109.01404; Garofalo et al., IEEE JETCAS 12(2), 2022): N RISC-V
cores running 8-bit SIMD kernels, a shared L1 (TCDM) they and the accelerators read and write, an L2 behind
a DMA, and accelerators: analog in-memory accelerators (IMA: PCM crossbars, weights stationary), simple
digital accelerators (a throughput and an energy per MAC), and any AIMC/DIMC macro system of imcbench's own
model.

Every engine answers ``cost(layer, share)``: the time (ns) and energy (pJ) to produce ``share`` of the
layer's output channels (all of them for share = 1), and for an IMA the crossbars that hold those weights.
Units: ns, pJ, mm2, bytes. Tags in the comments: [verified] read in the cited source, [unverified] recalled
or second-hand (not read in the primary source), [assumption] our choice, a parameter a user can change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import lru_cache

from imcbench.errors import ImcbenchError
from imcbench.workload import Layer, LayerKind

# -- cores ---------------------------------------------------------------------------------------------
CLOCK_MHZ = 500.0  # cluster clock; PULP 22FDX clusters run at ~400-500 MHz (not read in Ottavi et al.) [unverified]
PULPNN_CLUSTER_MACS_PER_CYCLE = 15.5  # 8 RI5CY cores, INT-8 conv, PULP-NN (Garofalo et al. 2020, abstract) [verified]
PULPNN_CORES = 8
CONV_MACS_PER_CYCLE = PULPNN_CLUSTER_MACS_PER_CYCLE / PULPNN_CORES  # 1.94 MAC/cycle/core [verified, derived]
POINTWISE_MACS_PER_CYCLE = CONV_MACS_PER_CYCLE  # the same SIMD matmul kernel without im2col [assumption]
DEPTHWISE_MACS_PER_CYCLE = 0.5  # no channel reuse for 4x8b SIMD dot products: ~4x below conv [assumption]
FC_MACS_PER_CYCLE = 1.0  # one weight byte loaded per MAC: load-bound [assumption]
CORE_MACS_PER_CYCLE = {"conv": CONV_MACS_PER_CYCLE, "pointwise": POINTWISE_MACS_PER_CYCLE,
                       "depthwise": DEPTHWISE_MACS_PER_CYCLE, "fc": FC_MACS_PER_CYCLE,
                       "matmul": POINTWISE_MACS_PER_CYCLE, "attention": FC_MACS_PER_CYCLE}
# ~0.6 TOPS/W for 8-bit SIMD software on a 22 nm PULP cluster (Vega-class) at 1.94 MAC/cycle/core gives
# 2 * 1.94 / 0.614 = 6.3 pJ per busy core cycle, cluster overheads (L1, interconnect, I$) included [unverified]
CORE_PJ_PER_CYCLE = 6.3
CORE_AREA_MM2 = 0.03  # one RI5CY-class core with its private logic, 22 nm [assumption]
CLUSTER_OVERHEAD_AREA_MM2 = 0.2  # interconnect, shared I$, DMA, event unit [assumption]
CORE_TASK_OVERHEAD_CYCLES = 100  # fork, tile set-up and barrier per parallel tile [assumption]

# -- shared memories -------------------------------------------------------------------------------------
L1_KB = 128  # PULP TCDM: typically 64-128 kB in 16 banks (typical, not read in Ottavi et al.) [unverified]
L1_BANKS = 16
L1_BANK_BYTES = 4  # one 32-bit word per bank per cycle [assumption: PULP TCDM word width]
L2_DMA_BYTES_PER_CYCLE = 8  # 64-bit cluster DMA [assumption]
L2_KB = 512.0  # KB, the cluster L2 behind the DMA (its energy per byte depends on it) [assumption]
HANDOFF_CYCLES = 50  # event/IRQ synchronisation when a tensor passes from one engine to another [assumption]
TECH_NODE_NM = 22.0  # the PULP cluster's node for the memory estimates (22FDX) [assumption]
TECH_VDD = 0.8

# -- IMA: GVSOC ima_v1 (gvsoc-pulp pulp/ima/ima_v1_impl.cpp, archi/ima/ima_v1.h) [verified] ------------
# -- and HERMES-like energy/area [unverified] -------------------------------------------------------------
IMA_ROWS = 256  # crossbar inputs [verified, gvsoc xbar_y]
IMA_COLS = 256  # crossbar outputs [verified, gvsoc xbar_x]
IMA_MVM_NS = 130.0  # one analog MVM, whatever rows/columns are used [verified, gvsoc eval_ns]
IMA_WEIGHT_BITS = 4  # [verified, STOR_DWIDTH]
IMA_DAC_BITS = 8  # [verified]
IMA_ADC_BITS = 8  # [verified]
IMA_PROGRAM_NS_PER_WORD = 1000.0  # plot write: 1 us per 32-bit word [verified]
IMA_WEIGHTS_PER_WORD = 8  # 8 4-bit weights per word [verified]
IMA_PORT_BYTES_PER_CYCLE = 64  # 32 master ports x 4 B, about half per direction [verified, derived]
IMA_IDLE_CYCLES = 2  # idle state between jobs [verified]
IMA_FIFO_CYCLES = 2  # FIFO latency on each side of the compute [verified]
HERMES_TOPS = 1.008  # 2 * 256 * 256 / 130 ns [derived]
HERMES_TOPS_PER_W = 10.5  # IBM HERMES 14 nm PCM core (Khaddam-Aljameh et al., VLSI 2021) [unverified]
HERMES_TOPS_PER_MM2 = 1.59  # same source [unverified]
IMA_MVM_PJ = 2 * IMA_ROWS * IMA_COLS / HERMES_TOPS_PER_W  # 12.5 nJ per full-array MVM [unverified, derived]
IMA_CROSSBAR_AREA_MM2 = HERMES_TOPS / HERMES_TOPS_PER_MM2  # 0.634 mm2 per crossbar with its converters [unverified]
IMA_WRAPPER_AREA_MM2 = 0.05  # streamers, FIFOs, job registers of one IMA [assumption]
IMA_PROGRAM_PJ_PER_WEIGHT = 100.0  # program-and-verify of one PCM weight [assumption, order of magnitude]
IMA_TASK_OVERHEAD_CYCLES = 50  # a core writes the job registers and triggers the IMA [assumption]
PSUM_ADDS_PER_CYCLE_PER_CORE = 2.0  # 2x16-bit SIMD adds of row-tile partial sums [assumption]

# -- digital accelerator defaults ---------------------------------------------------------------------------
DIGITAL_PJ_PER_MAC = 0.5  # a small 8-bit datapath accelerator, 22 nm [assumption]
DIGITAL_AREA_MM2 = 0.1  # mm2, the same accelerator's area [assumption]


def cycles_to_ns(cycles: float, clock_mhz: float) -> float:
    """Cycles at ``clock_mhz`` in ns."""
    return cycles * 1e3 / clock_mhz


@dataclass(frozen=True)
class EngineCost:
    """One layer share on one engine: time (ns), energy (pJ) by part, and for an IMA its crossbar needs.

    ``crossbars``: arrays that hold the share's weights; ``program_words``: 32-bit words written to program
    them; ``jobs_per_pixel``: MVM rounds per output pixel when every crossbar computes at once (an IMA
    with fewer converter sets or crossbars than tiles repeats rounds: see :func:`ima_time_ns`).
    """

    time_ns: float
    energy_pj: dict[str, float]
    crossbars: int = 0
    program_words: int = 0
    pixels: int = 0
    tiles: tuple[tuple[int, int], ...] = ()  # (rows used, columns used) of every crossbar tile
    in_bytes_per_pixel: float = 0.0
    out_bytes_per_pixel: float = 0.0
    psum_adds_per_pixel: float = 0.0
    dma_ns: float = 0.0

    @property
    def total_energy_pj(self) -> float:
        return float(sum(self.energy_pj.values()))


# -- the shared memory ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SharedMemory:
    """The shared L1 (TCDM) and the L2 behind the cluster DMA.

    Energies per byte default to :mod:`imcbench.hardware.memory_model` estimates (16 banks of 32-bit SRAM
    at 22 nm for the L1, a 512 kB 64-bit SRAM for the L2) when left as None.
    """

    l1_kb: float = L1_KB
    banks: int = L1_BANKS
    bank_bytes: int = L1_BANK_BYTES
    l1_read_pj_per_byte: float | None = None
    l1_write_pj_per_byte: float | None = None
    l1_area_mm2: float | None = None
    l2_kb: float = L2_KB
    l2_pj_per_byte: float | None = None
    dma_bytes_per_cycle: float = L2_DMA_BYTES_PER_CYCLE

    def __post_init__(self) -> None:
        for label in ("l1_kb", "banks", "bank_bytes", "l2_kb", "dma_bytes_per_cycle"):
            if not getattr(self, label) > 0:
                raise ImcbenchError(f"shared memory: {label} must be > 0")
        est = _memory_estimates(self.l1_kb, self.banks, self.bank_bytes, self.l2_kb)
        for label, value in zip(("l1_read_pj_per_byte", "l1_write_pj_per_byte", "l1_area_mm2", "l2_pj_per_byte"), est):
            if getattr(self, label) is None:
                object.__setattr__(self, label, value)

    @property
    def l1_bytes(self) -> float:
        return self.l1_kb * 1024

    @property
    def bandwidth_bytes_per_cycle(self) -> float:
        """All banks, one word each per cycle."""
        return self.banks * self.bank_bytes


@lru_cache(maxsize=64)
def _memory_estimates(l1_kb: float, banks: int, bank_bytes: int, l2_kb: float) -> tuple[float, float, float, float]:
    """L1 read/write pJ per byte and area (mm2), L2 pJ per byte, from the CACTI-derived memory model."""
    from imcbench.hardware import memory_model as mem
    from imcbench.tech import Technology

    tech = Technology(TECH_NODE_NM, TECH_VDD)
    bank_bits, width = l1_kb * 8192 / banks, bank_bytes * 8
    read = float(mem.sram_read_energy(bank_bits, width, tech)) / bank_bytes
    write = float(mem.sram_write_energy(bank_bits, width, tech)) / bank_bytes
    area = float(mem.sram_area(bank_bits, width, tech)) * banks
    l2_bits, dma_bits = l2_kb * 8192, L2_DMA_BYTES_PER_CYCLE * 8  # the L2 is read and written over the DMA port
    l2 = float(mem.sram_read_energy(l2_bits, dma_bits, tech) + mem.sram_write_energy(l2_bits, dma_bits, tech)) / (
        2 * L2_DMA_BYTES_PER_CYCLE)  # the mean of a read and a write, per byte
    return read, write, area, l2


# -- the cores ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoreCluster:
    """N RISC-V cores with SIMD 8-bit kernels; throughput per core in MACs per cycle by layer kind."""

    name: str = "cores"
    count: int = 8
    macs_per_cycle: dict[str, float] = field(default_factory=lambda: dict(CORE_MACS_PER_CYCLE))
    pj_per_cycle: float = CORE_PJ_PER_CYCLE
    area_mm2_per_core: float = CORE_AREA_MM2
    task_overhead_cycles: float = CORE_TASK_OVERHEAD_CYCLES

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ImcbenchError(f"cores: count {self.count} must be >= 1")
        merged = dict(CORE_MACS_PER_CYCLE) | dict(self.macs_per_cycle)
        bad = [k for k, v in merged.items() if k not in CORE_MACS_PER_CYCLE or not v > 0]
        if bad:
            raise ImcbenchError(f"cores: macs_per_cycle {bad[0]!r} must be a layer kind "
                                f"({', '.join(CORE_MACS_PER_CYCLE)}) with a value > 0")
        object.__setattr__(self, "macs_per_cycle", merged)

    @property
    def area_mm2(self) -> float:
        return self.count * self.area_mm2_per_core

    def cost(self, layer: Layer, share: float, clock_mhz: float, memory: SharedMemory) -> EngineCost:
        """Cycles = MACs / (cores x MACs per cycle per core); energy = busy core cycles x pJ per cycle.

        The weights come from L2 by DMA (SIMD kernels keep only a tile of them in L1), overlapped with
        compute (double buffering): the layer takes the longer of the two.
        """
        macs = layer.macs * share
        cycles = macs / (self.count * self.macs_per_cycle[layer.kind.value])
        weight_bytes = layer.weights * layer.weight_bits / 8 * share
        dma_bytes = weight_bytes + spilled_bytes(layer, share, memory)
        dma_cycles = dma_bytes / memory.dma_bytes_per_cycle
        energy = {"cores": cycles * self.count * self.pj_per_cycle, "l2": dma_bytes * memory.l2_pj_per_byte}
        return EngineCost(time_ns=cycles_to_ns(max(cycles, dma_cycles), clock_mhz), energy_pj=energy,
                          dma_ns=cycles_to_ns(dma_cycles, clock_mhz))


def spilled_bytes(layer: Layer, share: float, memory: SharedMemory) -> float:
    """Activation bytes moved to and from L2 when the layer's input and output do not fit the L1 together."""
    in_bytes = layer.input_elements * layer.act_bits / 8
    out_bytes = layer.output_elements * layer.out_bits / 8
    if in_bytes + out_bytes <= memory.l1_bytes:
        return 0.0
    return in_bytes + out_bytes * share


# -- the IMA ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ImaSpec:
    """An analog in-memory accelerator: ``crossbars`` PCM arrays (``None`` = as many as the allocated
    weights need, "auto") behind one streamer on the L1.

    Every crossbar has its own DACs and ADCs (the HERMES-like area per crossbar includes them), so up to
    ``parallel_crossbars`` (None = all) evaluate in one job; more tiles than that take several rounds.
    """

    name: str = "ima"
    rows: int = IMA_ROWS
    cols: int = IMA_COLS
    crossbars: int | None = None
    parallel_crossbars: int | None = None
    mvm_ns: float = IMA_MVM_NS
    mvm_pj: float = IMA_MVM_PJ
    weight_bits: int = IMA_WEIGHT_BITS
    dac_bits: int = IMA_DAC_BITS
    adc_bits: int = IMA_ADC_BITS
    program_ns_per_word: float = IMA_PROGRAM_NS_PER_WORD
    weights_per_word: int = IMA_WEIGHTS_PER_WORD
    program_pj_per_weight: float = IMA_PROGRAM_PJ_PER_WEIGHT
    port_bytes_per_cycle: float = IMA_PORT_BYTES_PER_CYCLE
    job_overhead_cycles: float = IMA_IDLE_CYCLES + 2 * IMA_FIFO_CYCLES
    crossbar_area_mm2: float = IMA_CROSSBAR_AREA_MM2
    wrapper_area_mm2: float = IMA_WRAPPER_AREA_MM2
    task_overhead_cycles: float = IMA_TASK_OVERHEAD_CYCLES

    def __post_init__(self) -> None:
        for label in ("rows", "cols", "mvm_ns", "weights_per_word", "port_bytes_per_cycle"):
            if not getattr(self, label) > 0:
                raise ImcbenchError(f"IMA {self.name!r}: {label} must be > 0")
        for label in ("crossbars", "parallel_crossbars"):
            value = getattr(self, label)
            if value is not None and value < 1:
                raise ImcbenchError(f"IMA {self.name!r}: {label} = {value} must be >= 1 (or auto)")

    def area_mm2(self, crossbars: int) -> float:
        """Wrapper plus ``crossbars`` arrays (with their converters)."""
        return self.wrapper_area_mm2 + crossbars * self.crossbar_area_mm2

    def mvm_cycles(self, clock_mhz: float) -> int:
        """GVSOC's conversion of the analog latency: ceil(mvm_ns / T_clk) + 1 cycles [verified]."""
        return math.ceil(self.mvm_ns * clock_mhz / 1e3) + 1

    def mvm_energy_pj(self, rows_used: float, cols_used: float) -> float:
        """One MVM on one crossbar: the full-array energy scaled by the active rows (DACs) and columns
        (ADCs), unused lines gated off [assumption]: E = E_full (rows_used + cols_used) / (rows + cols)."""
        return self.mvm_pj * (rows_used + cols_used) / (self.rows + self.cols)

    def tiles(self, layer: Layer, share: float) -> tuple[tuple[int, int], ...]:
        """(rows used, columns used) of every crossbar that holds ``share`` of the layer's weights.

        Dense layers (conv, pointwise, fc, matmul): the C*FY*FX x K matrix of each group cut into
        rows x cols tiles. Depthwise: diagonal packing, FY*FX rows + 1 column per channel, so
        floor(rows / (FY*FX)) channels per crossbar (28 = floor(256 / 9) for 3x3 on 256 x 256; the depthwise
        mapping problem of Ottavi et al., arXiv 2109.01404, abstract).
        """
        if layer.kind is LayerKind.ATTENTION:
            raise ImcbenchError(f"layer {layer.name!r}: attention has no constant weights to hold in a crossbar")
        window = layer.FY * layer.FX
        if layer.kind is LayerKind.DEPTHWISE:
            per_xbar = min(self.rows // window, self.cols)
            if per_xbar < 1:
                raise ImcbenchError(f"layer {layer.name!r}: a {layer.FY}x{layer.FX} window does not fit "
                                    f"{self.rows} crossbar rows")
            channels = max(1, math.ceil(layer.G * share))
            full, rest = divmod(channels, per_xbar)
            sizes = [per_xbar] * full + ([rest] if rest else [])
            return tuple((c * window, c) for c in sizes)
        rows = layer.C * window
        cols = max(1, math.ceil(layer.K * share))
        row_cuts = _cuts(rows, self.rows)
        col_cuts = _cuts(cols, self.cols)
        return tuple((r, c) for _ in range(layer.G) for r in row_cuts for c in col_cuts)

    def cost(self, layer: Layer, share: float, clock_mhz: float, memory: SharedMemory,
             cores: CoreCluster) -> EngineCost:
        """The layer share with every tile resident (one job of all tiles per output pixel).

        Per pixel, the streamer reads each row tile's input slice once (broadcast to its column tiles) and
        writes every tile's ADC outputs; with more than one row tile the cores add the partial sums
        (charged to this engine's time, serialised: conservative). Energy: MVMs + L1 streaming + partial
        sums + L2 spills. :func:`ima_time_ns` gives the time for a given number of crossbars.
        """
        tiles = self.tiles(layer, share)
        pixels = layer.B * layer.OY * layer.OX
        if layer.kind is LayerKind.DEPTHWISE:
            in_bytes = sum(r for r, _ in tiles) * layer.act_bits / 8
            psum_adds = 0.0
        else:
            per_group = len(tiles) // layer.G
            col_tiles = len(_cuts(max(1, math.ceil(layer.K * share)), self.cols))
            in_bytes = sum(r for r, _ in tiles) / col_tiles * layer.act_bits / 8
            row_tiles = per_group // col_tiles
            psum_adds = (row_tiles - 1) * layer.G * math.ceil(layer.K * share)
        out_bytes = sum(c for _, c in tiles) * self.adc_bits / 8
        mvm = pixels * sum(self.mvm_energy_pj(r, c) for r, c in tiles)
        stream = pixels * (in_bytes * memory.l1_read_pj_per_byte + out_bytes * memory.l1_write_pj_per_byte)
        psum_cycles = pixels * psum_adds / (cores.count * PSUM_ADDS_PER_CYCLE_PER_CORE)
        spill = spilled_bytes(layer, share, memory)
        energy = {"ima.mvm": mvm, "ima.stream": stream, "cores": psum_cycles * cores.count * cores.pj_per_cycle,
                  "l2": spill * memory.l2_pj_per_byte}
        words = sum(math.ceil(r * c / self.weights_per_word) for r, c in tiles)
        base = EngineCost(time_ns=0.0, energy_pj=energy, crossbars=len(tiles), program_words=words,
                          pixels=pixels, tiles=tiles, in_bytes_per_pixel=in_bytes, out_bytes_per_pixel=out_bytes,
                          psum_adds_per_pixel=psum_adds,
                          dma_ns=cycles_to_ns(spill / memory.dma_bytes_per_cycle, clock_mhz))
        return replace(base, time_ns=ima_time_ns(self, base, len(tiles), clock_mhz, memory, cores))


def ima_time_ns(ima: ImaSpec, cost: EngineCost, crossbars: int, clock_mhz: float, memory: SharedMemory,
                cores: CoreCluster) -> float:
    """Time of one IMA layer share when ``crossbars`` arrays are available to it (weights programmed).

    Per pixel: rounds = ceil(tiles / min(crossbars, parallel_crossbars)) jobs, each with the idle and
    FIFO overheads and one analog MVM; the stream-in and stream-out bytes pass through the streamer at
    min(port, L1) bytes per cycle. GVSOC ima_v1 runs the stages of a job one after another [verified].
    """
    parallel = min(crossbars, ima.parallel_crossbars or crossbars, cost.crossbars) or 1
    rounds = math.ceil(cost.crossbars / parallel)
    rate = min(ima.port_bytes_per_cycle, memory.bandwidth_bytes_per_cycle)
    per_pixel = (rounds * (ima.job_overhead_cycles + ima.mvm_cycles(clock_mhz))
                 + math.ceil(cost.in_bytes_per_pixel / rate) + math.ceil(cost.out_bytes_per_pixel / rate)
                 + cost.psum_adds_per_pixel / (cores.count * PSUM_ADDS_PER_CYCLE_PER_CORE))
    return max(cycles_to_ns(cost.pixels * per_pixel, clock_mhz), cost.dma_ns)


def _cuts(n: int, size: int) -> list[int]:
    """``n`` cut into pieces of at most ``size``: [size, size, ..., rest]."""
    full, rest = divmod(n, size)
    return [size] * full + ([rest] if rest else [])


# -- a digital accelerator --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DigitalAccel:
    """A digital accelerator: MACs per cycle for the layer kinds it runs, energy per MAC, area."""

    name: str
    macs_per_cycle: dict[str, float]
    pj_per_mac: float = DIGITAL_PJ_PER_MAC
    area_mm2: float = DIGITAL_AREA_MM2
    task_overhead_cycles: float = IMA_TASK_OVERHEAD_CYCLES

    def __post_init__(self) -> None:
        bad = [k for k, v in self.macs_per_cycle.items() if k not in CORE_MACS_PER_CYCLE or not v > 0]
        if bad or not self.macs_per_cycle:
            raise ImcbenchError(f"accelerator {self.name!r}: macs_per_cycle needs layer kinds "
                                f"({', '.join(CORE_MACS_PER_CYCLE)}) with values > 0")

    def supports(self, layer: Layer) -> bool:
        return layer.kind.value in self.macs_per_cycle

    def cost(self, layer: Layer, share: float, clock_mhz: float, memory: SharedMemory) -> EngineCost:
        """Cycles = MACs / MACs per cycle; energy = MACs x pJ per MAC; weights and spills by DMA."""
        macs = layer.macs * share
        cycles = macs / self.macs_per_cycle[layer.kind.value]
        dma_bytes = layer.weights * layer.weight_bits / 8 * share + spilled_bytes(layer, share, memory)
        dma_cycles = dma_bytes / memory.dma_bytes_per_cycle
        energy = {self.name: macs * self.pj_per_mac, "l2": dma_bytes * memory.l2_pj_per_byte}
        return EngineCost(time_ns=cycles_to_ns(max(cycles, dma_cycles), clock_mhz), energy_pj=energy,
                          dma_ns=cycles_to_ns(dma_cycles, clock_mhz))


# -- an imcbench AIMC/DIMC macro system as an accelerator ---------------------------------------------------------
@dataclass(frozen=True)
class MacroAccel:
    """An accelerator built from an imcbench `System` (e.g. ``paper_system('aimc', 256)``): each layer
    share is mapped by :func:`imcbench.mapping.mapper.map_layer`, at the macro's own clock."""

    name: str
    system: object  # imcbench.hardware.System (kept untyped to avoid importing the mapper eagerly)
    objective: str = "latency"
    task_overhead_cycles: float = IMA_TASK_OVERHEAD_CYCLES

    @property
    def area_mm2(self) -> float:
        """The macros' area (the system's memories stand for the cluster L1 and L2, counted there)."""
        return float(sum(v for k, v in self.system.area_mm2_by_component().items() if k.startswith("macro.")))

    def supports(self, layer: Layer) -> bool:
        return layer.weight_is_constant

    def cost(self, layer: Layer, share: float, clock_mhz: float, memory: SharedMemory) -> EngineCost:
        """The mapper's cycles x the macro clock period and its energy, for ``share`` of the channels."""
        time, energy = _macro_layer_cost(self.system, _share_of(layer, share), self.objective)
        return EngineCost(time_ns=time, energy_pj={self.name: energy})


@lru_cache(maxsize=4096)
def _macro_layer_cost(system, layer: Layer, objective: str) -> tuple[float, float]:
    from imcbench.macro import peak
    from imcbench.mapping.cost import Pricing
    from imcbench.mapping.mapper import map_layer

    mapping = map_layer(layer, system, objective)
    tclk = float(peak(Pricing.of([system]).params(1)).t_clk[0, 0])
    return mapping.cycles * tclk, mapping.energy_pj


def _share_of(layer: Layer, share: float) -> Layer:
    """The layer with ``share`` of its output channels (groups for depthwise); inputs dropped for caching."""
    if share >= 1:
        return replace(layer, name="share", inputs=())
    if layer.kind is LayerKind.DEPTHWISE:
        return replace(layer, name="share", inputs=(), G=max(1, math.ceil(layer.G * share)))
    return replace(layer, name="share", inputs=(), K=max(1, math.ceil(layer.K * share)))

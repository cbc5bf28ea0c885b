"""The heterogeneous-cluster YAML format (validated with pydantic) and `load_hetero_system`.

Example (``examples/hetero_ima.yaml``)::

    name: pulp_8c_1ima
    clock_mhz: 500
    cores: {count: 8}                       # PULP-NN-like throughput and energy defaults
    memory: {l1_kb: 128, banks: 16}         # shared L1 (TCDM); L2 behind the DMA
    imas:
      - {name: ima, crossbars: auto}        # 256x256 PCM crossbars, 130 ns per MVM (GVSOC ima_v1)
    accelerators:                           # optional
      - {name: dw_engine, type: digital, macs_per_cycle: {depthwise: 16}, pj_per_mac: 0.5, area_mm2: 0.05}
      - {name: aimc, type: macro, system: paper-aimc-256}   # any imcbench hardware file or preset
    schedule: {row_tiles: 8, handoff_cycles: 50, split_fractions: [0.25, 0.5, 0.75]}

Every field has a documented default (:mod:`imcbench.hetero.engines`); unknown keys are errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Optional, Union

from pydantic import Field

from imcbench.design_fields import AdcBits, ClockMhz, Cols, DacBits, OperandBits, Rows
from imcbench.errors import ImcbenchError
from imcbench.hetero import engines as eng
from imcbench.hetero.cluster import ROW_TILES, SPLIT_FRACTIONS, HeteroSystem
from imcbench.yamlio import StrictModel, read_yaml, validate

KindRates = dict[Literal["conv", "pointwise", "depthwise", "fc", "matmul", "attention"], Annotated[float, Field(gt=0)]]


class CoresConfig(StrictModel):
    name: str = "cores"
    count: int = Field(8, ge=1, le=1024)
    macs_per_cycle: KindRates = {}
    pj_per_cycle: float = Field(eng.CORE_PJ_PER_CYCLE, ge=0)
    area_mm2_per_core: float = Field(eng.CORE_AREA_MM2, ge=0)
    task_overhead_cycles: float = Field(eng.CORE_TASK_OVERHEAD_CYCLES, ge=0)


class MemoryConfig(StrictModel):
    l1_kb: float = Field(eng.L1_KB, gt=0)
    banks: int = Field(eng.L1_BANKS, ge=1)
    bank_bytes: int = Field(eng.L1_BANK_BYTES, ge=1)
    l1_read_pj_per_byte: Optional[float] = Field(None, ge=0)
    l1_write_pj_per_byte: Optional[float] = Field(None, ge=0)
    l1_area_mm2: Optional[float] = Field(None, ge=0)
    l2_kb: float = Field(eng.L2_KB, gt=0)
    l2_pj_per_byte: Optional[float] = Field(None, ge=0)
    dma_bytes_per_cycle: float = Field(eng.L2_DMA_BYTES_PER_CYCLE, gt=0)


class ImaConfig(StrictModel):
    name: str = "ima"
    rows: Rows = eng.IMA_ROWS
    cols: Cols = eng.IMA_COLS
    crossbars: Union[Literal["auto"], Annotated[int, Field(ge=1)]] = "auto"
    parallel_crossbars: Union[Literal["all"], Annotated[int, Field(ge=1)]] = "all"
    mvm_ns: float = Field(eng.IMA_MVM_NS, gt=0)
    mvm_pj: float = Field(eng.IMA_MVM_PJ, ge=0)
    weight_bits: OperandBits = eng.IMA_WEIGHT_BITS
    dac_bits: DacBits = eng.IMA_DAC_BITS
    adc_bits: AdcBits = eng.IMA_ADC_BITS
    program_ns_per_word: float = Field(eng.IMA_PROGRAM_NS_PER_WORD, ge=0)
    weights_per_word: int = Field(eng.IMA_WEIGHTS_PER_WORD, ge=1)
    program_pj_per_weight: float = Field(eng.IMA_PROGRAM_PJ_PER_WEIGHT, ge=0)
    port_bytes_per_cycle: float = Field(eng.IMA_PORT_BYTES_PER_CYCLE, gt=0)
    job_overhead_cycles: float = Field(eng.IMA_IDLE_CYCLES + 2 * eng.IMA_FIFO_CYCLES, ge=0)
    crossbar_area_mm2: float = Field(eng.IMA_CROSSBAR_AREA_MM2, ge=0)
    wrapper_area_mm2: float = Field(eng.IMA_WRAPPER_AREA_MM2, ge=0)
    task_overhead_cycles: float = Field(eng.IMA_TASK_OVERHEAD_CYCLES, ge=0)


class DigitalConfig(StrictModel):
    name: str
    type: Literal["digital"]
    macs_per_cycle: KindRates = Field(min_length=1)
    pj_per_mac: float = Field(eng.DIGITAL_PJ_PER_MAC, ge=0)
    area_mm2: float = Field(eng.DIGITAL_AREA_MM2, ge=0)
    task_overhead_cycles: float = Field(eng.IMA_TASK_OVERHEAD_CYCLES, ge=0)


class MacroAccelConfig(StrictModel):
    name: str
    type: Literal["macro"]
    system: str = Field(description="an imcbench/ZigZag hardware file or a preset such as paper-aimc-256")
    objective: Literal["latency", "energy", "edp"] = "latency"
    task_overhead_cycles: float = Field(eng.IMA_TASK_OVERHEAD_CYCLES, ge=0)


class ScheduleConfig(StrictModel):
    row_tiles: int = Field(ROW_TILES, ge=1, le=1024)
    handoff_cycles: float = Field(eng.HANDOFF_CYCLES, ge=0)
    split_fractions: list[Annotated[float, Field(gt=0, lt=1)]] = list(SPLIT_FRACTIONS)


class HeteroConfig(StrictModel):
    name: str = "cluster"
    clock_mhz: ClockMhz = eng.CLOCK_MHZ
    cores: CoresConfig = CoresConfig()
    memory: MemoryConfig = MemoryConfig()
    imas: list[ImaConfig] = []
    accelerators: list[Annotated[Union[DigitalConfig, MacroAccelConfig], Field(discriminator="type")]] = []
    overhead_area_mm2: float = Field(eng.CLUSTER_OVERHEAD_AREA_MM2, ge=0)
    schedule: ScheduleConfig = ScheduleConfig()


def build_hetero_system(config: HeteroConfig, base_dir: Path | None = None) -> HeteroSystem:
    """Turn a validated configuration into a `HeteroSystem` (macro systems are loaded here)."""
    c = config.cores
    cores = eng.CoreCluster(name=c.name, count=c.count, macs_per_cycle=dict(c.macs_per_cycle),
                            pj_per_cycle=c.pj_per_cycle, area_mm2_per_core=c.area_mm2_per_core,
                            task_overhead_cycles=c.task_overhead_cycles)
    memory = eng.SharedMemory(**config.memory.model_dump())
    imas = []
    for i in config.imas:
        fields = i.model_dump()
        fields["crossbars"] = None if i.crossbars == "auto" else i.crossbars
        fields["parallel_crossbars"] = None if i.parallel_crossbars == "all" else i.parallel_crossbars
        imas.append(eng.ImaSpec(**fields))
    digital, macros = [], []
    for a in config.accelerators:
        if isinstance(a, DigitalConfig):
            digital.append(eng.DigitalAccel(a.name, dict(a.macs_per_cycle), a.pj_per_mac, a.area_mm2,
                                            a.task_overhead_cycles))
        else:
            macros.append(eng.MacroAccel(a.name, _macro_system(a.system, base_dir), a.objective,
                                         a.task_overhead_cycles))
    s = config.schedule
    return HeteroSystem(name=config.name, clock_mhz=config.clock_mhz, cores=cores, memory=memory, imas=tuple(imas),
                        digital=tuple(digital), macros=tuple(macros), overhead_area_mm2=config.overhead_area_mm2,
                        row_tiles=s.row_tiles, handoff_cycles=s.handoff_cycles,
                        split_fractions=tuple(s.split_fractions))


def _macro_system(name: str, base_dir: Path | None):
    from imcbench.hardware import load_system

    candidate = (base_dir / name) if base_dir is not None else None
    return load_system(candidate if candidate is not None and candidate.exists() else name)


def load_hetero_system(path: str | Path) -> HeteroSystem:
    """Read a heterogeneous-cluster YAML file (see the module docstring)."""
    path = Path(path)
    data = read_yaml(path, "system file")
    if not isinstance(data, dict):
        raise ImcbenchError(f"{path}: a system file must be a YAML mapping with cores, memory, imas, ... "
                            "(see examples/hetero_ima.yaml)")
    config = validate(HeteroConfig, data, str(path))
    try:
        return build_hetero_system(config, path.parent)
    except ImcbenchError as exc:
        raise ImcbenchError(f"{path}: {exc}") from None

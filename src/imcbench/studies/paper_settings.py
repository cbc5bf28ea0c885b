"""What the AIMC-vs-DIMC study sweeps (:class:`StudySettings`) and its mapping spaces.

The study of Sun, Houshmand, Verhelst, "Analog or Digital In-memory Computing? Benchmarking through
Quantitative Modeling", ICCAD 2023: square macros of 32 to 1024 rows (AIMC: 2 input bits per cycle and the
paper's ADC rule; DIMC: bit-serial), 8-bit activations and weights, the paper's system (registers, 256 KB
L2, weights from DRAM at 3.7 pJ/bit; :func:`imcbench.hardware.presets.paper_system`), in each mapping space
of ``StudySettings.mapping_spaces`` (:data:`imcbench.hardware.presets.MAPPING_SPACES`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from imcbench.errors import ImcbenchError
from imcbench.hardware.presets import MAPPING_SPACES, paper_system
from imcbench.macro import MacroSpec
from imcbench.studies.defaults import BEYOND_PAPER, DEFAULT_MAPPING_SPACES, MLPERF_TINY, PAPER_SIZES

KINDS = ("aimc", "dimc")
FULL_OPTIONS = tuple(MAPPING_SPACES["full"])  # the SystemOptions fields that tell the mapping spaces apart
# representative layers: (network, layer name) per layer type
REPRESENTATIVE_LAYERS = {
    "conv": ("resnet8", "stage2.block0.conv_b"),  # 3x3, 32 -> 32 channels, 16x16
    "pointwise": ("mobilenet_v1", "pw7"),  # 1x1, 128 -> 128 channels, 6x6
    "depthwise": ("ds_cnn", "dw1"),  # 3x3 depthwise, 64 channels, 25x5
    "fully_connected": ("deepautoencoder", "fc2"),  # 128 x 128
}


@dataclass(frozen=True)
class StudySettings:
    """What the study sweeps. Defaults are the paper's setup."""

    networks: tuple[str, ...] = MLPERF_TINY
    extended_networks: tuple[str, ...] = BEYOND_PAPER
    sizes: tuple[int, ...] = PAPER_SIZES
    input_bits: int = 8
    weight_bits: int = 8
    aimc_bits_per_cycle: int = 2
    dimc_bits_per_cycle: int = 1
    node_nm: float = 28.0
    vdd: float = 0.9
    objective: str = "energy"
    min_sqnr_db: float | None = None  # accuracy constraint on the worst layer of each network (AIMC)
    layers: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(REPRESENTATIVE_LAYERS))
    mapping_spaces: tuple[str, ...] = DEFAULT_MAPPING_SPACES

    def __post_init__(self) -> None:
        if not self.sizes or any(s < 8 or s % self.weight_bits for s in self.sizes):
            raise ImcbenchError(f"macro sizes {self.sizes} must be multiples of the weight bits "
                                f"({self.weight_bits}) and at least 8")
        if self.aimc_bits_per_cycle > self.input_bits or self.dimc_bits_per_cycle > self.input_bits:
            raise ImcbenchError("bits per cycle cannot exceed the input bits")
        unknown = [m for m in self.mapping_spaces if m not in MAPPING_SPACES]
        if unknown or not self.mapping_spaces or len(set(self.mapping_spaces)) != len(self.mapping_spaces):
            raise ImcbenchError(f"mapping spaces {self.mapping_spaces}: give one or more of "
                                f"{', '.join(MAPPING_SPACES)}, each once")

    def system(self, kind: str, size: int, mapping_space: str = "full"):
        bc = self.aimc_bits_per_cycle if kind == "aimc" else self.dimc_bits_per_cycle
        system = paper_system(kind, size, input_bits=self.input_bits, weight_bits=self.weight_bits,
                              bits_per_cycle=bc, node_nm=self.node_nm, vdd=self.vdd)
        return system.with_options(**MAPPING_SPACES[mapping_space])

    def macro(self, kind: str, size: int) -> MacroSpec:
        return self.system(kind, size).macro

    def to_dict(self) -> dict:
        return asdict(self)


def mapping_space_of(options: dict) -> str:
    """The name of the mapping space whose settings ``options`` (name -> value, without 'options.') are."""
    for name, settings in MAPPING_SPACES.items():
        if all(options.get(k) == v for k, v in settings.items()):
            return name
    raise ImcbenchError(f"options {options} match no mapping space ({', '.join(MAPPING_SPACES)})")

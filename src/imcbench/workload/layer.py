"""The `Layer` value object: one MAC-carrying operator as a nest of loops.

A layer is the 8-deep loop nest used by ZigZag and the IMC paper (Sun et al., ICCAD 2023):

    for B (batch), G (groups), K (output channels per group), C (input channels per group),
        OY, OX (output rows, columns), FY, FX (filter rows, columns):
            O[B,G,K,OY,OX] += W[G,K,C,FY,FX] * I[B,G,C,OY*sy+FY*dy, OX*sx+FX*dx]

Every kind of layer is one setting of these loops:

==========  ==================================================================
conv        a convolution with FY*FX > 1 (G > 1 for a grouped convolution)
pointwise   a 1x1 convolution (FY = FX = 1) over an OY x OX image
depthwise   a grouped convolution with one input and one output channel per group (C = K = 1)
fc          a fully connected layer: one input vector (OY = OX = 1) times a constant matrix
matmul      a matrix product with a constant weight matrix, many input rows (tokens in OX)
attention   a matrix product of two activations (Q K^T, scores V): the "weights" change per input
==========  ==================================================================
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum

from imcbench.design_limits import MAX_OPERAND_BITS, MIN_OPERAND_BITS, integer_range
from imcbench.errors import ImcbenchError

LOOP_DIMS: tuple[str, ...] = ("B", "K", "C", "G", "OY", "OX", "FY", "FX")


class LayerKind(str, Enum):
    CONV = "conv"
    POINTWISE = "pointwise"
    DEPTHWISE = "depthwise"
    FC = "fc"
    MATMUL = "matmul"
    ATTENTION = "attention"

    def __str__(self) -> str:  # so f-strings print "conv", not "LayerKind.CONV"
        return self.value


def infer_kind(*, K: int, C: int, G: int, OY: int, OX: int, FY: int, FX: int,
               B: int = 1, weight_is_constant: bool = True) -> LayerKind:
    """The kind a layer of these dimensions is (see the module docstring)."""
    if not weight_is_constant:
        return LayerKind.ATTENTION
    if G > 1 and K == 1 and C == 1:
        return LayerKind.DEPTHWISE
    if FY * FX > 1:
        return LayerKind.CONV
    if OY * OX == 1:
        return LayerKind.FC
    return LayerKind.POINTWISE


def _int_sequence(value, length: int, minimum: int) -> bool:
    """True for a tuple or list of ``length`` integers >= ``minimum`` (bools excluded)."""
    return (isinstance(value, (tuple, list)) and len(value) == length
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= minimum for v in value))


@dataclass(frozen=True)
class Layer:
    """One MAC-carrying layer; dimensions are per group (K and C count channels in one group).

    Precisions are in bits: ``act_bits`` (input activations), ``weight_bits`` and ``out_bits``.
    ``inputs`` names the producer layers of this layer's input activations (MAC layers only;
    operators without MACs between them are passed through).
    """

    name: str
    kind: LayerKind
    B: int = 1
    K: int = 1
    C: int = 1
    G: int = 1
    OY: int = 1
    OX: int = 1
    FY: int = 1
    FX: int = 1
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right
    act_bits: int = 8
    weight_bits: int = 8
    out_bits: int = 8
    inputs: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kind", LayerKind(self.kind))
        except ValueError:
            valid = ", ".join(k.value for k in LayerKind)
            raise ImcbenchError(f"layer {self.name!r}: unknown kind {self.kind!r}; use one of {valid}") from None
        for dim in LOOP_DIMS:
            value = getattr(self, dim)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ImcbenchError(
                    f"layer {self.name!r}: dimension {dim} = {value!r} must be a positive integer")
        for label, pair in (("stride", self.stride), ("dilation", self.dilation)):
            if not _int_sequence(pair, 2, minimum=1):
                raise ImcbenchError(f"layer {self.name!r}: {label} {pair!r} must be two positive integers")
        if not _int_sequence(self.padding, 4, minimum=0):
            raise ImcbenchError(f"layer {self.name!r}: padding {self.padding!r} must be four integers >= 0")
        if not isinstance(self.inputs, (tuple, list)) or not all(isinstance(p, str) for p in self.inputs):
            raise ImcbenchError(f"layer {self.name!r}: inputs {self.inputs!r} must be a list of layer names")
        for label in ("act_bits", "weight_bits", "out_bits"):
            bits = getattr(self, label)
            if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_OPERAND_BITS <= bits <= MAX_OPERAND_BITS:
                raise ImcbenchError(f"layer {self.name!r}: {label} = {bits!r} must be an integer in "
                                    f"{integer_range(MIN_OPERAND_BITS, MAX_OPERAND_BITS)}")
        object.__setattr__(self, "stride", tuple(self.stride))
        object.__setattr__(self, "dilation", tuple(self.dilation))
        object.__setattr__(self, "padding", tuple(self.padding))
        object.__setattr__(self, "inputs", tuple(self.inputs))

    # -- sizes -------------------------------------------------------------------------------
    @property
    def dims(self) -> dict[str, int]:
        """The eight loop bounds, by name."""
        return {d: getattr(self, d) for d in LOOP_DIMS}

    @property
    def weight_is_constant(self) -> bool:
        """False for attention: the second operand is an activation that changes per input."""
        return self.kind is not LayerKind.ATTENTION

    @property
    def macs(self) -> int:
        """Multiply-accumulates for one inference (batch B)."""
        return self.B * self.G * self.K * self.C * self.OY * self.OX * self.FY * self.FX

    @property
    def weights(self) -> int:
        """Constant parameters (weights) of the layer; 0 for attention."""
        return self.weight_operand_elements if self.weight_is_constant else 0

    @property
    def weight_operand_elements(self) -> int:
        """Elements of the operand held in the IMC array (per batch for attention)."""
        per_batch = self.G * self.K * self.C * self.FY * self.FX
        return per_batch if self.weight_is_constant else per_batch * self.B

    @property
    def IY(self) -> int:
        """Input rows read by the layer (padding excluded)."""
        return max(1, (self.OY - 1) * self.stride[0] + (self.FY - 1) * self.dilation[0] + 1
                   - self.padding[0] - self.padding[2])

    @property
    def IX(self) -> int:
        """Input columns read by the layer (padding excluded)."""
        return max(1, (self.OX - 1) * self.stride[1] + (self.FX - 1) * self.dilation[1] + 1
                   - self.padding[1] - self.padding[3])

    @property
    def input_elements(self) -> int:
        return self.B * self.G * self.C * self.IY * self.IX

    @property
    def output_elements(self) -> int:
        return self.B * self.G * self.K * self.OY * self.OX

    def to_dict(self) -> dict:
        """Plain-JSON view: name, kind, dims, MACs, weights, and the rest of the fields."""
        data = asdict(self)
        data["kind"] = self.kind.value
        for dim in LOOP_DIMS:
            data.pop(dim)
        data = {"name": self.name, "kind": self.kind.value, "dims": self.dims,
                "macs": self.macs, "weights": self.weights, **{k: v for k, v in data.items()
                                                                if k not in ("name", "kind")}}
        for key in ("stride", "dilation", "padding", "inputs"):
            data[key] = list(data[key])
        return data

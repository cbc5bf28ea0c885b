"""Technology: gate-level capacitances, areas and delays, and their scaling with node and supply.

Reference point: the 28 nm constants of the IMC paper (Sun, Houshmand, Verhelst, "Analog or Digital
In-memory Computing? Benchmarking through Quantitative Modeling", ICCAD 2023, arXiv 2405.14978; as coded
in zigzag-dse 3.9.1 ``ImcUnit.TECH_PARAM_28NM``; fitted on 28 nm DIMC chips by the authors'
``imc_model_validation/dimc_validation/28nm/model_extraction_28nm.py`` in KULeuven-MICAS/zigzag-imc).
Units: capacitance in fF, energy in fJ, area in um2, delay in ns, voltage in V.

Scaling rules (all fields may be numpy arrays, so one ``Technology`` can describe many design points):

* gate capacitance: the paper-era zigzag-imc law ``C_NAND2 = (0.019 * node_nm + 0.168) fF``
  (0.7 fF at 28 nm); every other digital capacitance is a fixed multiple of it;
* energy: ``C * V^2`` (dynamic switching energy);
* digital area: ``(node / 28)^2`` (constant-field scaling, Dennard et al., JSSC 1974);
* delay: linear in the node (Dennard) times the alpha-power law of Sakurai and Newton (JSSC 1990),
  ``t ~ V / (V - V_th)^alpha``, normalised to 0.9 V;
* analog parts (ADC, DAC): the paper's validation kept them unscaled when it moved 22 nm chips onto its
  28 nm model (zigzag-imc README, "limitations": 22 nm chips scaled linearly x22/28, ADC/DAC
  unscaled); ``analog_node_exponent`` (default 0) lets a user or the
  calibration scale them as ``(node / 28)^exponent``.

Citation convention (every module of imcbench): a model function or constant names the work it comes
from -- the IMC paper as "Sun et al., ICCAD 2023" (arXiv 2405.14978), Bowen et al. (arXiv 2302.06417),
Ottavi et al. (arXiv 2109.01404), ... -- and where its equation or number can be checked: a section or
equation number of the work only when it was read in the work itself, otherwise the file and function of
the authors' public code that holds it: zigzag-dse 3.9.1 (PyPI; ``zigzag/hardware/architecture/
imc_array.py`` class ``ImcArray``, ``imc_unit.py`` class ``ImcUnit``) or the paper-era code
KULeuven-MICAS/zigzag-imc at commit b0f0319 (e.g. ``zigzag-imc/peak_eval.py``). The IMC paper's section
and equation numbers are not cited: they could not be checked against its text. Internal notes that are
not shipped with imcbench are never cited (tests/test_citations.py enforces both).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Union

import numpy as np

from imcbench.design_limits import MAX_NODE_NM, MAX_VDD_V, MIN_NODE_NM
from imcbench.errors import ImcbenchError

ArrayLike = Union[float, np.ndarray]

# --- 28 nm reference (zigzag-dse 3.9.1 zigzag/hardware/architecture/imc_unit.py, ImcUnit.TECH_PARAM_28NM)
REF_NODE_NM = 28.0  # nm; node of the fitted constants
REF_VDD_V = 0.9  # V; supply of the fitted constants and of the paper's delay model
CAP_LAW_SLOPE_FF_PER_NM = 0.019  # fF/nm; zigzag-imc paper-era tech law for C_NAND2
CAP_LAW_OFFSET_FF = 0.168  # fF; same law (0.019*28 + 0.168 = 0.7 fF)
AREA_NAND2_UM2 = 0.614  # um2 at 28 nm; TECH_PARAM_28NM
DELAY_NAND2_NS = 0.0478  # ns at 28 nm, 0.9 V; TECH_PARAM_28NM
XOR2_CAP_RATIO = 1.5  # C_XOR2 / C_NAND2; TECH_PARAM_28NM
XOR2_AREA_RATIO = 2.4  # A_XOR2 / A_NAND2; TECH_PARAM_28NM
XOR2_DELAY_RATIO = 2.4  # t_XOR2 / t_NAND2; TECH_PARAM_28NM
DFF_CAP_RATIO = 3.0  # C_DFF / C_NAND2 (per bit); TECH_PARAM_28NM
DFF_AREA_RATIO = 6.0  # A_DFF / A_NAND2 (per bit); TECH_PARAM_28NM
CELL_LINE_CAP_RATIO = 0.5  # SRAM cell word-line / bit-line load = C_NAND2 / 2 (0.35 fF); TECH_PARAM_28NM

# --- alpha-power-law delay (Sakurai & Newton, IEEE JSSC 25(2), 1990) ------------------------------
DEFAULT_VTH_V = 0.35  # V; typical 28 nm threshold voltage (assumption, a parameter; the design
#   limits' MIN_VDD_V_EXCLUSIVE, the lowest supply of a macro or system, is this value)
DEFAULT_ALPHA = 1.3  # velocity-saturation index for short-channel devices (Sakurai & Newton)


@dataclass(frozen=True)
class Technology:
    """A process node and supply. Fields may be scalars or broadcastable numpy arrays."""

    node_nm: ArrayLike = REF_NODE_NM
    vdd: ArrayLike = REF_VDD_V
    vth: ArrayLike = DEFAULT_VTH_V
    alpha: ArrayLike = DEFAULT_ALPHA
    analog_node_exponent: ArrayLike = 0.0

    def __post_init__(self) -> None:
        node = np.asarray(self.node_nm, dtype=float)
        vdd = np.asarray(self.vdd, dtype=float)
        vth = np.asarray(self.vth, dtype=float)
        if not np.all((node >= MIN_NODE_NM) & (node <= MAX_NODE_NM)):
            raise ImcbenchError(f"technology node {self.node_nm!r} nm must be in [{MIN_NODE_NM:g}, {MAX_NODE_NM:g}]")
        if not np.all((vdd > 0) & (vdd <= MAX_VDD_V)):
            raise ImcbenchError(f"supply voltage {self.vdd!r} V must be in (0, {MAX_VDD_V:g}]")
        if np.any(vdd <= vth):
            raise ImcbenchError(
                f"supply voltage {self.vdd!r} V must exceed the threshold voltage {self.vth!r} V "
                "(the delay model is not valid near or below threshold)")

    def with_(self, **changes) -> "Technology":
        return replace(self, **changes)

    # -- scale factors relative to 28 nm, 0.9 V ------------------------------------------------
    @property
    def v2(self) -> ArrayLike:
        """V^2 in V^2; multiplies a capacitance in fF to give an energy in fJ."""
        return np.asarray(self.vdd, dtype=float) ** 2

    @property
    def area_scale(self) -> ArrayLike:
        return (np.asarray(self.node_nm, dtype=float) / REF_NODE_NM) ** 2

    @property
    def delay_scale(self) -> ArrayLike:
        node = np.asarray(self.node_nm, dtype=float)
        return (node / REF_NODE_NM) * _alpha_power(self.vdd, self.vth, self.alpha) / _alpha_power(
            REF_VDD_V, self.vth, self.alpha)

    @property
    def analog_scale(self) -> ArrayLike:
        """Scale of ADC/DAC capacitance and area with the node (1 at 28 nm)."""
        node = np.asarray(self.node_nm, dtype=float)
        return (node / REF_NODE_NM) ** np.asarray(self.analog_node_exponent, dtype=float)

    # -- capacitances (fF) -------------------------------------------------------------------
    @property
    def c_nand2(self) -> ArrayLike:
        return CAP_LAW_SLOPE_FF_PER_NM * np.asarray(self.node_nm, dtype=float) + CAP_LAW_OFFSET_FF

    @property
    def c_xor2(self) -> ArrayLike:
        return XOR2_CAP_RATIO * self.c_nand2

    @property
    def c_dff(self) -> ArrayLike:
        return DFF_CAP_RATIO * self.c_nand2

    @property
    def c_cell_line(self) -> ArrayLike:
        """Bit-line (and word-line) load of one SRAM cell, fF."""
        return CELL_LINE_CAP_RATIO * self.c_nand2

    # -- areas (um2) ---------------------------------------------------------------------------
    @property
    def a_nand2(self) -> ArrayLike:
        return AREA_NAND2_UM2 * self.area_scale

    @property
    def a_xor2(self) -> ArrayLike:
        return XOR2_AREA_RATIO * self.a_nand2

    @property
    def a_dff(self) -> ArrayLike:
        return DFF_AREA_RATIO * self.a_nand2

    # -- delays (ns) ---------------------------------------------------------------------------
    @property
    def t_nand2(self) -> ArrayLike:
        return DELAY_NAND2_NS * self.delay_scale

    @property
    def t_xor2(self) -> ArrayLike:
        return XOR2_DELAY_RATIO * self.t_nand2


def _alpha_power(vdd: ArrayLike, vth: ArrayLike, alpha: ArrayLike) -> ArrayLike:
    """Alpha-power-law gate delay factor V / (V - Vth)^alpha (Sakurai & Newton 1990), unitless."""
    vdd = np.asarray(vdd, dtype=float)
    return vdd / (vdd - np.asarray(vth, dtype=float)) ** np.asarray(alpha, dtype=float)


TECH_28NM = Technology()

"""The paper's system constants, defined once (no imports, so every layer can use them).

Sun, Houshmand, Verhelst, "Analog or Digital In-memory Computing? Benchmarking through Quantitative
Modeling", ICCAD 2023 (arXiv 2405.14978), system setup of Fig. 7-12, as coded in the paper's
zigzag-imc b0f0319 ``generate_zigzag_hardware*.py``: one macro, a 256 KB L2 SRAM for activations and the
weights in a 100 MB off-chip DRAM at 3.7 pJ/bit.
"""

PAPER_L2_KB = 256  # KB (1 KB = 1024 bytes), the activation L2 SRAM
PAPER_DRAM_MB = 100  # MB (1 MB = 1024 KB), the off-chip weight DRAM
DRAM_ENERGY_PJ_PER_BIT = 3.7  # pJ/bit, the paper's DRAM, read and write

"""Accuracy under analog non-idealities: noise and quantization model of an IMC matrix-vector product,
its Monte Carlo check, end-to-end accuracy of small networks on scikit-learn's digits, and
accuracy-aware design exploration."""

from imcbench.accuracy.noise import (ADC_RANGES, MvmConfig, SqnrTerms, analytic_terms, dot_length,
                                     layer_sqnr_db)
from imcbench.accuracy.operands import Distribution, OperandModel

__all__ = ["ADC_RANGES", "Distribution", "MvmConfig", "OperandModel", "SqnrTerms", "analytic_terms",
           "dot_length", "layer_sqnr_db"]

"""Accuracy under analog non-idealities: noise and quantization model of an IMC matrix-vector product,
its Monte Carlo check, end-to-end accuracy of small networks on scikit-learn's digits, and
accuracy-aware design exploration."""

from imcbench.accuracy.explore import (ExplorationResult, adc_bit_energy, cheapest_for_accuracy,
                                       cheapest_for_sqnr, design_grid, layer_sqnr_for_designs, network_sqnr,
                                       sqnr_constraint_mask)
from imcbench.accuracy.network_report import NetworkAccuracy, network_accuracy
from imcbench.accuracy.noise import (ADC_RANGES, CLIP_SIGMA_CHOICES, MvmConfig, SqnrTerms, analytic_terms,
                                     dot_length, layer_sqnr_db)
from imcbench.accuracy.operands import Distribution, OperandModel


def accuracy_figures(*args, **kwargs):
    """The study report's accuracy figures (see :func:`imcbench.accuracy.figures.accuracy_figures`)."""
    from imcbench.accuracy.figures import accuracy_figures as build

    return build(*args, **kwargs)


__all__ = ["ADC_RANGES", "CLIP_SIGMA_CHOICES", "Distribution", "ExplorationResult", "MvmConfig", "NetworkAccuracy",
           "OperandModel", "SqnrTerms", "accuracy_figures", "adc_bit_energy", "analytic_terms", "cheapest_for_accuracy",
           "cheapest_for_sqnr", "design_grid", "dot_length", "layer_sqnr_db", "layer_sqnr_for_designs",
           "network_accuracy", "network_sqnr", "sqnr_constraint_mask"]

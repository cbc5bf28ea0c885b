"""Fundamental scaling limits of IMC: energy per operation vs problem size, array size and precision."""

from imcbench.scaling.model import (ANALOG_MACHINES, MACHINES, TERMS, OpEnergy, crossover_n, energy_per_op,
                                    scaling_table)
from imcbench.scaling.params import (CONVERTER_MODELS, DEFAULT_PARAMS, FUNDAMENTAL_PARAMS, ScalingParams,
                                     adc_energy_pj, dac_energy_pj, mac_energy_pj, thermal_floor_pj)
from imcbench.scaling.summary import ScalingSummary, scaling_summary

__all__ = ["ANALOG_MACHINES", "CONVERTER_MODELS", "DEFAULT_PARAMS", "FUNDAMENTAL_PARAMS", "MACHINES", "TERMS",
           "OpEnergy", "ScalingParams", "ScalingSummary", "adc_energy_pj", "crossover_n", "dac_energy_pj",
           "energy_per_op",
           "mac_energy_pj", "scaling_summary", "scaling_table", "thermal_floor_pj"]

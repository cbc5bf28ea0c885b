"""The studies: experiments built from sweeps and features, each computed into a result object (tables,
findings, what was left out) with no figure or HTML code; :mod:`imcbench.report` renders the results.

* :mod:`~imcbench.studies.paper` -- the AIMC-vs-DIMC study of the IMC paper (:func:`paper.paper_study`),
  with its settings (:mod:`~imcbench.studies.paper_settings`), the paper's claims tested
  (:mod:`~imcbench.studies.paper_findings`) and what changes with the mapping space
  (:mod:`~imcbench.studies.mapping_spaces`);
* :mod:`~imcbench.studies.llm` -- the LLM study (:func:`llm.llm_study`) and its findings
  (:mod:`~imcbench.studies.llm_findings`);
* :mod:`~imcbench.studies.defaults` -- the paper study's default settings, importable without pandas
  (``imcbench study --help``).

The main names are importable from here (``from imcbench.studies import StudySettings``); this package
imports a submodule on first use of one of its names.
"""

from __future__ import annotations

import importlib

_NAMES = {
    "paper": ("StudyResult", "paper_study", "PAPER_PEAK", "peak_table", "layer_type_table", "network_table",
              "run_network_points"),
    "paper_settings": ("StudySettings", "KINDS", "REPRESENTATIVE_LAYERS", "mapping_space_of"),
    "paper_findings": ("PAPER_CLAIMS", "PaperClaim", "Finding", "findings", "findings_by_space", "TIE_RELATIVE"),
    "mapping_spaces": ("finding_differences", "network_conclusions"),
    "llm": ("LLMStudySettings", "LLMStudyResult", "llm_study"),
    "llm_findings": ("LLMFinding", "llm_findings"),
}
_LAZY = {name: module for module, names in _NAMES.items() for name in names}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"imcbench.studies.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'imcbench.studies' has no attribute {name!r}")

"""Figures (one spec, plotly and matplotlib renderers), the HTML report, and the studies' output folders
(:mod:`~imcbench.report.study_report`, :mod:`~imcbench.report.llm_report`) written from their results."""

from imcbench.figspec import FigureSpec, Series, save_static, to_plotly

__all__ = ["FigureSpec", "Series", "save_static", "to_plotly"]

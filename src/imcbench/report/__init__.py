"""Figures (one spec, plotly and matplotlib renderers) and the HTML report."""

from imcbench.figspec import FigureSpec, Series, save_static, to_plotly

__all__ = ["FigureSpec", "Series", "save_static", "to_plotly"]

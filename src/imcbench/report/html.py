"""A self-contained HTML report: sections of text, interactive plotly figures and tables.

plotly.js is embedded once, inline, so the file opens offline and can be mailed as one attachment.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from imcbench.figspec import FigureSpec, to_plotly

STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .85em; margin: 1em 0; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.finding { margin: .4em 0; } .holds { color: #2a7d2a; font-weight: bold; } .fails { color: #b22; font-weight: bold; }
.other { color: #a66a00; font-weight: bold; }
.caption { color: #555; font-size: .9em; margin: -.5em 0 1.5em 0; } .figure { margin: 1em 0; }
.settings td { text-align: left; } .note { background: #fafafa; border-left: 3px solid #ccc; padding: .4em .8em; }
"""


@dataclass
class Section:
    """A titled part of the report: HTML paragraphs (already escaped where needed), figures, tables."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    figures: list[FigureSpec] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)


def escape(text: str) -> str:
    return html.escape(str(text))


def render(title: str, sections: list[Section], intro: str = "") -> str:
    """The whole report as one HTML string."""
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>", intro]
    plotly_loaded = False
    for section in sections:
        parts.append(f"<h2>{escape(section.title)}</h2>")
        parts.extend(f"<p>{p}</p>" for p in section.paragraphs)
        for spec in section.figures:
            figure = to_plotly(spec)
            parts.append("<div class='figure'>" + figure.to_html(
                full_html=False, include_plotlyjs="inline" if not plotly_loaded else False,
                config={"displaylogo": False, "responsive": True}) + "</div>")
            plotly_loaded = True
            if spec.caption:
                parts.append(f"<p class='caption'>{escape(spec.caption)}</p>")
        for caption, frame in section.tables:
            parts.append(f"<p class='caption'><b>{escape(caption)}</b></p>")
            parts.append(frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", border=0, escape=True))
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: Path, title: str, sections: list[Section], intro: str = "") -> Path:
    """Write the report to ``path`` (through a temporary file, then renamed: never a half-written report)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render(title, sections, intro), encoding="utf-8")
    tmp.replace(path)
    return path

"""Citations in the shipped code point at the sources themselves, never at our internal notes.

The convention (src/imcbench/tech.py docstring): cite the work and, for an equation or constant, a section or
equation number read in the work itself or else the file and function of the authors' code. Two old forms are
refused in every comment and docstring of src/imcbench: the internal note's heading numbers ("paper 2.2",
"section 2.3", "(IMC paper 2.2)", "sections 2.3-2.6", "Table/section 2.2"), which are not the paper's
sections, and the name of that unshipped note file.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "imcbench"

# "paper 2.2", "paper section 2.3", "sections 2.3-2.6", "section 4.2", "Table/section 2.2", "Sec. 2.4": a word
# that names a part of a work followed by a dotted number. "paper 1.5x" (a ratio) is not a citation.
HEADING_CITATION = re.compile(r"\b(?:paper(?:'s)?(?:\s+section)?|sections?|sec\.|table/section)\s*\d+\.\d+(?![\d.]*x)",
                              re.IGNORECASE)
UNSHIPPED_NOTE = re.compile(r"model_reference", re.IGNORECASE)


def comments_and_docstrings(source: str) -> list[tuple[int, str]]:
    """(line, text) of every comment and every module, class and function docstring of one module."""
    found = [(tok.start[0], tok.string) for tok in tokenize.generate_tokens(io.StringIO(source).readline)
             if tok.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                found.append((node.body[0].lineno, doc))
    return found


def bad_citations(source: str) -> list[tuple[int, str]]:
    return [(line, match.group(0)) for line, text in comments_and_docstrings(source)
            for pattern in (HEADING_CITATION, UNSHIPPED_NOTE) for match in pattern.finditer(text)]


@pytest.mark.parametrize("text", [
    '"""Energy of one ADC, fJ (paper 2.2)."""',
    "X = 1  # um2 at 28 nm; paper 2.2",
    '"""Modeling", ICCAD 2023, sections 2.3-2.6, as coded in zigzag-dse."""',
    "# --- widths of the digital periphery (paper section 2.3) ---",
    '"""Registers (the paper, section 4.2)."""',
    "# line charge (IMC paper 2.2)",
    '"""ICCAD 2023, Table/section 2.2; fitted"""',
    '"""Peak figures (paper 2.3, 2.5, 2.6)."""',
    "# see model_reference.md, part 5",
])
def test_old_citation_forms_are_caught(text):
    assert bad_citations(text + "\n"), text


@pytest.mark.parametrize("text", [
    '"""ADC energy (Sun et al., ICCAD 2023; zigzag-dse 3.9.1 ``ImcArray.get_adc_cost``)."""',
    '"""the paper\'s Fig. 7/8 data"""',
    'COLUMNS = ("paper median err", "paper 1.5x", "paper 2x")  # ratios of the paper, not citations',
    'LABEL = "paper 2.2"  # a string that is not a docstring is data, not a citation',
])
def test_source_citations_and_data_pass(text):
    assert not bad_citations(text + "\n"), text


def test_shipped_data_and_examples_cite_sources_not_internal_headings():
    root = PACKAGE.parents[1]
    files = sorted([*(PACKAGE / "data").rglob("*.yaml"), *(root / "examples").rglob("*.yaml")])
    assert len(files) > 5
    offenders = [f"{path.relative_to(root)}:{number}: {match.group(0)!r}" for path in files
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 for pattern in (HEADING_CITATION, UNSHIPPED_NOTE) for match in pattern.finditer(line)]
    assert not offenders, "cite the work and its code, not the internal notes:\n" + "\n".join(offenders)


def test_shipped_code_cites_sources_not_internal_headings():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50  # the whole package is scanned
    offenders = [f"{path.relative_to(PACKAGE)}:{line}: {cited!r}" for path in modules
                 for line, cited in bad_citations(path.read_text(encoding="utf-8"))]
    assert not offenders, "cite the work and its code, not the internal notes:\n" + "\n".join(offenders)

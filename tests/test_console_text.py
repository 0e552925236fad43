"""The one way the console commands print a figure and a table (the report and the review share it)."""

from __future__ import annotations

import ast

import pytest

from cdk_genai_inference.console import text
from conftest import REPO

CONSOLE = REPO / "constructs" / "cdk_genai_inference" / "console"


@pytest.mark.parametrize(
    ("value", "options", "shown"),
    [
        (None, {}, "-"),
        (12.5, {}, "12.50"),
        (3.0, {}, "3.00"),
        (2950.4, {}, "2,950"),
        (-150.0, {}, "-150"),
        (88.0, {"whole": True}, "88"),
        (0.0425, {"digits": 3}, "0.043"),
        (15.9, {"magnitude": 62.66}, "15.90"),
        (15.9, {"magnitude": 460.0}, "16"),
    ],
)
def test_a_figure_reads_the_same_wherever_it_is_printed(value: float | None, options: dict, shown: str) -> None:
    assert text.number(value, **options) == shown


def test_a_table_aligns_numbers_right_and_prints_notes_as_they_are() -> None:
    rendered = text.render_table(
        [["Name", "Value"], ["a", "1.00"], "  ! a note wider than every column", ["bb", "12.00"]]
    )
    assert rendered.splitlines() == [
        "Name  Value",
        "----  -----",
        "a      1.00",
        "  ! a note wider than every column",
        "bb    12.00",
    ]


def test_no_console_command_formats_figures_of_its_own() -> None:
    """A format spec with a precision (``:.2f``, ``:,.0f``) belongs in ``text.number``."""
    found = []
    for path in CONSOLE.glob("*.py"):
        if path.name == "text.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                spec = ast.unparse(node.format_spec)
                if "." in spec:
                    found.append(f"{path.name}:{node.lineno} {spec}")
    assert found == []

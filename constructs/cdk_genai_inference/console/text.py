"""How the console commands print figures and tables, so that the same number reads the same in each."""

from __future__ import annotations

from collections.abc import Sequence


def number(
    value: float | None, *, whole: bool = False, digits: int | None = None, magnitude: float | None = None
) -> str:
    """A figure: ``-`` for none; ``digits`` decimals when given; else whole (with thousands separators)
    when ``whole`` or from 100 up, two decimals below. ``magnitude`` decides instead of the value itself
    (an interval's half-width printed as precisely as its mean)."""
    if value is None:
        return "-"
    if digits is not None:
        return f"{value:.{digits}f}"
    size = value if magnitude is None else magnitude
    return f"{value:,.0f}" if whole or abs(size) >= 100 else f"{value:.2f}"


def render_table(rows: Sequence[Sequence[str] | str], left: Sequence[int] = (0,)) -> str:
    """A plain-text table, the first row its header: columns in ``left`` aligned left, the rest (numbers)
    right; a row given as one string is printed as it is, and counts for no column's width."""
    cells = [row for row in rows if not isinstance(row, str)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]

    def line(row: Sequence[str] | str) -> str:
        if isinstance(row, str):
            return row
        aligned = (c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        return "  ".join(aligned).rstrip()

    lines = [line(row) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"

"""Tables that never cut an id or a time, however narrow the terminal.

Rich squeezes a table that is wider than the terminal by wrapping and then cutting its
cells with an ellipsis; an investigator reading ``case-3f32…`` or ``2026-12-…`` in an
80-column terminal can neither copy the id nor tell the day. Columns marked ``whole``
(ids, times, numbers) are never wrapped; when they and the longest word of every other
column cannot fit side by side, each row is printed as a short block of ``header: value``
lines instead of a table, so that nothing is cut either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class Col:
    """A column: its header, and whether its cells must stay whole (ids, times)."""

    header: str
    whole: bool = False


def utc_minute(iso: str) -> str:
    """An ISO 8601 time as ``2024-05-14 09:01`` in UTC (no ``T``, no offset)."""
    return _utc(iso).strftime("%Y-%m-%d %H:%M")


def utc_second(iso: str) -> str:
    """An ISO 8601 time as ``2024-05-14 09:01:32`` in UTC."""
    return _utc(iso).strftime("%Y-%m-%d %H:%M:%S")


def _utc(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _least_widths(cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's narrowest width with whole cells whole and no word cut: its widest
    whole cell or header, or its longest word (the header's included)."""
    widths = []
    for i, col in enumerate(cols):
        cells = [row[i] for row in rows]
        if col.whole:
            # A whole column never wraps, its header included.
            lines = [col.header, *(line for c in cells for line in c.splitlines())]
            widths.append(max(cell_len(line) for line in lines))
        else:
            words = [col.header, *cells]
            widths.append(max(_longest_word(c) for c in words))
    return widths


def _widths(
    cols: Sequence[Col], rows: Sequence[Sequence[str]], least: list[int], total: int
) -> list[int]:
    """Widths that fit ``total`` columns: every column its least width, then the space
    left to the columns that wrap, each up to its widest line, in turn."""
    widths = list(least)
    spare = total - sum(least) - 2 * (len(cols) - 1)
    for i, col in enumerate(cols):
        if col.whole or spare <= 0:
            continue
        texts = [col.header, *(row[i] for row in rows)]
        widest = max(cell_len(line) for text in texts for line in text.split("\n"))
        grow = min(spare, max(0, widest - widths[i]))
        widths[i] += grow
        spare -= grow
    return widths


def show(
    console: Console,
    cols: Sequence[Col],
    rows: Sequence[Sequence[str]],
    title: str | None = None,
    caption: str | None = None,
) -> None:
    """Print ``rows`` under ``cols``: as a table where it fits ``console``, else as one
    block per row headed by its first cell."""
    least = _least_widths(cols, rows)
    # Two spaces between columns (the separator and one of padding).
    if sum(least) + 2 * (len(cols) - 1) <= console.width:
        # Only a rule under the header and two spaces between columns: a grid's borders
        # and padding cost three columns per column, which 80 columns cannot spare.
        table = Table(
            title=title,
            caption=caption,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, 1, 0, 0),
        )
        for col, width in zip(cols, _widths(cols, rows, least, console.width), strict=True):
            # Fixed widths: left to itself Rich shares the space out by each column's
            # widest cell and then cuts words, and whole cells, to fit.
            table.add_column(col.header, width=width, no_wrap=col.whole, overflow="fold")
        for row in rows:
            table.add_row(*row)
        console.print(table)
        return
    if title:
        console.print(Text(title, style="bold"))
    label = max(cell_len(col.header) for col in cols[1:]) if len(cols) > 1 else 0
    for row in rows:
        console.print(Text(f"{cols[0].header} {row[0]}", style="bold"))
        for col, cell in zip(cols[1:], row[1:], strict=True):
            if cell:
                # A cell of several lines (a window's start and end) keeps its indent.
                text = cell.replace("\n", "\n" + " " * (label + 4))
                console.print(f"  {col.header:<{label}}  {text}", markup=False, highlight=False)
    if caption:
        console.print(caption, markup=False, highlight=False)

"""cli.tables: ids and times stay whole at any terminal width."""

from __future__ import annotations

from rich.console import Console

from cctrace.cli.tables import Col, show, utc_minute, utc_second

COLS = [
    Col("case", whole=True),
    Col("status"),
    Col("window (UTC)", whole=True),
    Col("label"),
]
ROWS = [
    [
        "case-3f32dae66ebe",
        "approved",
        f"{utc_minute('2024-05-14T00:00:00+00:00')}\n{utc_minute('2024-05-14T23:59:00+00:00')}",
        "a label of several words that wraps where it must",
    ],
    ["case-0123456789ab", "pending", "2024-05-15 08:00\n2024-05-15 18:00", "second-wave"],
]


def render(width: int) -> str:
    console = Console(width=width, record=True, color_system=None)
    show(console, COLS, ROWS, title="cases")
    return console.export_text()


def test_times_read_as_utc_words() -> None:
    assert utc_minute("2024-05-14T09:01:32+02:00") == "2024-05-14 07:01"
    assert utc_second("2024-05-14T09:01:32") == "2024-05-14 09:01:32"


def test_a_table_where_it_fits_with_every_id_and_time_whole() -> None:
    out = render(80)
    assert "─" in out  # the table form
    assert all(len(line) <= 80 for line in out.splitlines())
    for text in ("case-3f32dae66ebe", "case-0123456789ab", "2024-05-14 23:59", "second-wave"):
        assert text in out
    assert "…" not in out
    # the long label wrapped at spaces, every word of it kept
    assert all(word in out for word in ROWS[0][3].split())


def test_one_block_per_row_where_the_table_cannot_fit() -> None:
    out = render(40)
    assert "─" not in out
    assert all(len(line) <= 40 for line in out.splitlines())
    assert "case case-3f32dae66ebe" in out and "case case-0123456789ab" in out
    assert "2024-05-14 00:00" in out and "2024-05-14 23:59" in out
    assert "…" not in out


def test_a_whole_column_keeps_its_header_whole() -> None:
    console = Console(width=80, record=True, color_system=None)
    cols = [Col("camera"), Col("from (UTC)", whole=True), Col("evidence")]
    show(console, cols, [["cam-a", "09:00:05", "face"], ["cam-b", "09:01:11", "appearance"]])
    out = console.export_text()
    assert "from (UTC)" in out and "09:01:11" in out
    assert "…" not in out and "(UT " not in out

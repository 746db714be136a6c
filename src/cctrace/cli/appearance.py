"""Commands on clothing appearance: rank a gallery of person images against queries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from cctrace.cli.common import JsonOpt, print_json, run
from cctrace.schemas import AppearanceMatchOut

appearance_app = typer.Typer(
    help="Compare people by their clothing (for when the face is hidden).", no_args_is_help=True
)


@appearance_app.command("match")
def match(
    query_dir: Annotated[
        Path, typer.Argument(help="Folder of query images (jpg, png), one person each.")
    ],
    gallery_dir: Annotated[
        Path, typer.Argument(help="Folder of gallery images (jpg, png), one person each.")
    ],
    top: Annotated[int, typer.Option("--top", help="Gallery images listed per query.")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Rank the gallery's people by how alike their clothes look to each query's."""

    def work() -> AppearanceMatchOut:
        from cctrace.services.appearance import match_folders

        return match_folders(query_dir, gallery_dir, top)

    result = run(work)
    if json_out:
        print_json(result)
        return
    # File names only: the folders are given once above, so the table fits 80 columns.
    console = Console(width=min(Console().width, 80))
    console.print(f"queries from {query_dir}, gallery from {gallery_dir}")
    table = Table("query", "rank", "gallery image", "similarity")
    for q in result.queries:
        for rank, item in enumerate(q.ranked, 1):
            table.add_row(
                Path(q.path).name if rank == 1 else "",
                str(rank),
                Path(item.path).name,
                f"{item.similarity:.3f}",
            )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(appearance_app, name="appearance")

"""Commands for the synthetic city: sim (build it) and eval sim (score a trace on it)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console

from cctrace.cli.common import HomeOpt, JsonOpt, run

eval_app = typer.Typer(help="Score tracing against ground truth.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)
    app.add_typer(eval_app, name="eval")


def sim(
    cameras: Annotated[int, typer.Option(min=1, help="Cameras in the city.")] = 12,
    people: Annotated[int, typer.Option(min=2, help="People walking about.")] = 60,
    hours: Annotated[float, typer.Option(min=0.1, help="Hours simulated.")] = 2.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    noise: Annotated[float, typer.Option(min=0.0, help="Noise level (1 = default).")] = 1.0,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Write a synthetic city straight into a data folder, truth kept aside.

    Needs no token: nothing in it is a real person. Refuses a folder holding real footage.
    """
    from cctrace.sim.city import simulate
    from cctrace.sim.store_writer import write_world
    from cctrace.sim.world import SimConfig
    from cctrace.store.home import resolve_home

    def work() -> dict[str, object]:
        from cctrace.core.errors import InputError

        try:
            config = SimConfig(
                cameras=cameras,
                people=people,
                hours=hours,
                seed=seed,
                noise=noise,
                patients=min(5, people),
            )
        except ValueError as exc:
            raise InputError(f"cannot simulate that city: {exc}") from None
        world = simulate(config)
        r = write_world(world, resolve_home(home))
        return {
            "home": str(r.home),
            "admin_token": r.admin_token,
            "cameras": r.cameras,
            "videos": r.videos,
            "sightings": r.sightings,
            "faces": r.faces,
            "already_written": r.already_written,
        }

    out = run(work)
    if json_out:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    Console().print(
        f"simulated city in {out['home']}: {out['cameras']} cameras, {out['sightings']} "
        f"sightings ({out['faces']} with a face)"
        + (" (already there; nothing added)" if out["already_written"] else "")
    )


@eval_app.command("sim")
def eval_sim(
    face_threshold: Annotated[
        float | None, typer.Option(help="Face search threshold (default: the engine's).")
    ] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Trace the simulated city's patients and score route and contacts per policy."""
    from cctrace.sim.evaluate import evaluate
    from cctrace.store.home import resolve_home
    from cctrace.trace.settings import TraceSettings

    def work() -> dict[str, object]:
        settings = (
            TraceSettings()
            if face_threshold is None
            else TraceSettings(face_threshold=face_threshold)
        )
        return evaluate(resolve_home(home), settings=settings).to_json()

    out = run(work)
    if json_out:
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
        return
    Console().print_json(json.dumps(out))

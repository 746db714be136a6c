"""The density sweep's own code on a city small enough for the default run (the figures
themselves come from `benchmarks/bench_city_sweep.py` at up to 60 cameras and 1,000
people, docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.bench_city_sweep import main, parse_densities


def test_sweep_traces_small_cities_and_prints_both_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--densities", "4x30", "--seeds", "11", "--patients", "2", "--hours", "0.5"]
    assert main([*argv, "--compare", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "seeds 11; 2 patients per city, 0.5 h, noise 1" in out
    on, off = out.split("rules on (defaults)")[1].split("rules off")
    for part in (on, off):
        (row,) = [line for line in part.splitlines() if line.startswith("| 4 x 30 |")]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1:3] == ["1", "2"]  # one city, two patients
        recall, precision = (float(c.split()[0]) for c in cells[3:5])
        assert 0 < recall <= 1 and 0 < precision <= 1
    # The cities stay in the work folder and are reused as they are.
    assert [p.name for p in tmp_path.iterdir()] == ["city-4x30-0.5h-seed11"]
    assert main([*argv, "--workdir", str(tmp_path)]) == 0
    assert "rules off" not in capsys.readouterr().out


def test_densities_parse() -> None:
    assert parse_densities("12x100, 60x1000") == [(12, 100), (60, 1000)]

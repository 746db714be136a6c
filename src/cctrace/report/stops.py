"""Stops of a route: consecutive stays at one camera are one stop (map and timeline agree)."""

from __future__ import annotations

from collections.abc import Sequence


def stop_numbers(camera_ids: Sequence[str]) -> list[int]:
    """The stop number (from 1) of each stay, given the stays' cameras in route order.

    ``["A", "A", "B", "A"]`` -> ``[1, 1, 2, 3]``: leaving a camera and coming back is a
    new stop.
    """
    numbers: list[int] = []
    for i, camera_id in enumerate(camera_ids):
        same = i > 0 and camera_ids[i - 1] == camera_id
        numbers.append(numbers[-1] if same else (numbers[-1] + 1 if numbers else 1))
    return numbers


def stop_cameras(camera_ids: Sequence[str]) -> list[str]:
    """The camera of stop 1, 2, ... (``["A", "A", "B", "A"]`` -> ``["A", "B", "A"]``)."""
    return [c for i, c in enumerate(camera_ids) if i == 0 or camera_ids[i - 1] != c]

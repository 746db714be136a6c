from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cctrace.core.errors import InputError
from cctrace.video.frames import iter_frames, probe


def test_probe_shared_video(shared_video: Path) -> None:
    info = probe(shared_video)
    assert (info.width, info.height) == (768, 432)
    assert info.fps == pytest.approx(10.0)
    assert info.duration_s == pytest.approx(139.4, abs=0.2)


def test_frame_times_come_from_presentation_timestamps(shared_video: Path) -> None:
    frames = []
    for frame in iter_frames(shared_video, every_n=50):
        frames.append(frame)
        if len(frames) == 5:
            break
    assert [f.index for f in frames] == [0, 50, 100, 150, 200]
    np.testing.assert_allclose([f.t_s for f in frames], [0.0, 5.0, 10.0, 15.0, 20.0], atol=1e-6)
    assert frames[0].image_bgr.shape == (432, 768, 3)


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100])
def test_non_video_is_refused_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"clip\.mp4"):
        probe(path)


def test_truncated_video_is_refused(tmp_path: Path, shared_video: Path) -> None:
    path = tmp_path / "cut.mp4"
    path.write_bytes(shared_video.read_bytes()[:4096])
    with pytest.raises(InputError, match=r"cut\.mp4"):
        list(iter_frames(path))


def test_every_n_must_be_positive(shared_video: Path) -> None:
    with pytest.raises(InputError):
        next(iter_frames(shared_video, every_n=0))


def test_variable_frame_rate_times_come_from_the_container(
    tmp_path: Path, shared_video: Path
) -> None:
    from cctrace.video.clips import make_clip

    times = [0.0, 0.1, 0.15, 0.5, 0.55, 1.5, 1.7, 3.0, 3.05, 3.1]
    clip = make_clip(shared_video, tmp_path / "vfr.mkv", 100, 110, times_s=times)
    got = [f.t_s for f in iter_frames(clip)]
    np.testing.assert_allclose(got, times, atol=1e-3)

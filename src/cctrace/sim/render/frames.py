"""One camera's frames: the background, the people drawn back to front, blur and noise."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cctrace.core.types import ImageBGR
from cctrace.sim.render.background import render_background
from cctrace.sim.render.base import F64, Role
from cctrace.sim.render.figures import Figure, build_figure, face_box, paint_figure, paint_label
from cctrace.sim.render.scenario import DemoScenario


@dataclass(frozen=True)
class FigureTruth:
    """What was drawn for one person in one frame (for measuring detectors on it).

    box_xyxy: (4,) px box of the whole figure, not clipped to the frame;
    visible_fraction: share of the figure's pixels inside the frame and not hidden
    behind nearer people; face_box_xyxy: (4,) px where the face photo shows (None when
    the head is seen from the side or behind); face_width_px: its width (0 if none).
    """

    person_id: str
    role: Role
    box_xyxy: F64
    depth_m: float
    visible_fraction: float
    face_box_xyxy: F64 | None
    masked: bool

    @property
    def height_px(self) -> float:
        return float(self.box_xyxy[3] - self.box_xyxy[1])

    @property
    def face_width_px(self) -> float:
        b = self.face_box_xyxy
        return 0.0 if b is None else float(b[2] - b[0])


@dataclass(frozen=True)
class RenderedFrame:
    t_s: float
    """Scenario time, seconds from the scenario's start."""
    image_bgr: ImageBGR
    figures: tuple[FigureTruth, ...]


class CameraRenderer:
    """Draws one camera's frames: the background once, then people, blur and noise."""

    def __init__(self, scenario: DemoScenario, camera_id: str) -> None:
        self.scenario = scenario
        self.camera = scenario.camera(camera_id)
        self.background = render_background(self.camera, scenario.buildings, scenario.roads)
        cam_index = [c.camera_id for c in scenario.cameras].index(camera_id)
        rng = np.random.default_rng([scenario.seed, cam_index])
        h, w = self.background.image_bgr.shape[:2]
        # A few noise fields, shifted per frame: drawing fresh Gaussian noise for every
        # frame would cost more than the rest of the frame together. Kept as separate
        # positive and negative parts so that OpenCV's saturating add and subtract apply
        # them to uint8 directly.
        noise = np.round(rng.normal(0.0, scenario.noise_sigma, size=(4, h + 32, w + 32, 1)))
        noise = np.repeat(noise, 3, axis=3)  # grey noise: luminance, like a sensor's
        self._noise_pos = np.clip(noise, 0, 255).astype(np.uint8)
        self._noise_neg = np.clip(-noise, 0, 255).astype(np.uint8)
        self._noise_seed = (scenario.seed, cam_index)

    def figures_at(self, t_s: float) -> list[Figure]:
        """People in front of the camera at ``t_s``, far to near."""
        figs = []
        w, h = self.camera.image_size_px
        for person in self.scenario.people:
            pose = person.pose_at(t_s)
            if pose is None:
                continue
            fig = build_figure(person, pose, self.camera, t_s)
            if fig is None:
                continue
            box = fig.box_xyxy
            if box[2] < 0 or box[0] > w or box[3] < 0 or box[1] > h:
                continue
            figs.append(fig)
        figs.sort(key=lambda f: -f.depth_m)
        return figs

    def _hidden(self, fig: Figure) -> tuple[tuple[slice, slice], NDArray[np.bool_]] | None:
        """The figure's box in the frame and which of its pixels a building hides (None
        when nothing does, the common case, so painting needs no compositing)."""
        h, w = self.background.occluder_depth_m.shape
        box = fig.box_xyxy
        x0, y0 = max(int(box[0]) - 1, 0), max(int(box[1]) - 1, 0)
        x1, y1 = min(int(box[2]) + 2, w), min(int(box[3]) + 2, h)
        if x1 <= x0 or y1 <= y0:
            return None
        roi = (slice(y0, y1), slice(x0, x1))
        hidden = self.background.occluder_depth_m[roi] < fig.depth_m
        return (roi, hidden) if hidden.any() else None

    def render(self, t_s: float, frame_index: int, with_truth: bool = False) -> RenderedFrame:
        """The frame at scenario time ``t_s``; ``with_truth`` also measures each figure's
        visible fraction (a silhouette raster per figure: a few ms more)."""
        img = self.background.image_bgr.copy()
        figs = self.figures_at(t_s)
        for fig in figs:
            hidden = self._hidden(fig)
            saved = img[hidden[0]].copy() if hidden is not None else None
            paint_figure(img, fig)
            if hidden is not None and saved is not None:
                img[hidden[0]][hidden[1]] = saved[hidden[1]]
        # Lens and sensor: a slight blur, then noise (H.264 adds its own softness).
        img = np.asarray(cv2.GaussianBlur(img, (3, 3), 0.65), np.uint8)
        rng = np.random.default_rng([*self._noise_seed, frame_index])
        k, dy, dx = int(rng.integers(4)), int(rng.integers(32)), int(rng.integers(32))
        h, w = img.shape[:2]
        img = np.asarray(cv2.add(img, self._noise_pos[k, dy : dy + h, dx : dx + w]), np.uint8)
        img = np.asarray(cv2.subtract(img, self._noise_neg[k, dy : dy + h, dx : dx + w]), np.uint8)
        truths = self._truths(figs, h, w) if with_truth else []
        return RenderedFrame(t_s, img, tuple(truths))

    def _truths(self, figs: list[Figure], h: int, w: int) -> list[FigureTruth]:
        label = np.zeros((h, w), np.uint8)
        for i, fig in enumerate(figs):
            hidden = self._hidden(fig)
            saved = label[hidden[0]].copy() if hidden is not None else None
            paint_label(label, fig, i + 1, np.zeros(2))
            if hidden is not None and saved is not None:
                label[hidden[0]][hidden[1]] = saved[hidden[1]]
        counts = np.bincount(label.ravel(), minlength=len(figs) + 1)
        out = []
        for i, fig in enumerate(figs):
            box = fig.box_xyxy
            x0, y0 = np.floor(box[:2]).astype(int) - 2
            x1, y1 = np.ceil(box[2:]).astype(int) + 2
            alone = np.zeros((y1 - y0, x1 - x0), np.uint8)
            paint_label(alone, fig, 1, -np.array([x0, y0], np.float64))
            area = max(int(alone.sum()), 1)
            out.append(
                FigureTruth(
                    fig.person.person_id,
                    fig.person.role,
                    box,
                    fig.depth_m,
                    min(1.0, int(counts[i + 1]) / area),
                    face_box(fig),
                    fig.masked,
                )
            )
        return out

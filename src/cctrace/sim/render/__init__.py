"""A small synthetic town rendered as CCTV video: the footage ``cctrace demo`` ingests.

`make_demo_scenario(seed)` lays out three streets of one town (site-plan metres: x east,
y north, z up) with a pinhole camera at each (position, mounting height, heading, downward
tilt, horizontal field of view), and scripts people walking between them: the patient
(face: ``skimage.data.astronaut()``) leaves the station past camera A, meets a friend
(face: matplotlib's ``grace_hopper.jpg``) and stands about 1 m from her for most of a
minute in front of camera B while a stranger passes 3-5 m away, then puts on a mask and
waits at a shop window beside a masked stranger under camera C. Bystanders (faces from
``skimage.data.lfw_subset()``, tinted) walk, stand in pairs and wear masks.

`render_videos` writes one H.264 mp4 per camera with millisecond presentation times and
a ``creation_time`` tag, and returns each camera's ground-plane calibration as image <->
floor point pairs, computed from the true pinhole model (what a surveyor would measure).
`scenario_truth` gives the true route and contacts, for comparing a trace's result
afterwards: it must never be fed to the pipeline, which has to find everything from the
pixels.

Figures are 3D stick skeletons with volume (tapered capsules for limbs, a box hull for
the torso, an ellipsoid head), posed by a walking gait (legs swing with knee flexion,
arms counter-swing, the body bobs), projected through the camera with perspective, shaded
from the upper left and drawn back to front. The background is ray-cast once per camera
(paving, asphalt, facades with windows and shopfronts, sky), then each frame gets the
people, a soft lens blur and sensor noise before H.264 adds its own softness.

The renderer is split by job: `cameras` (pinhole model, calibration points), `world`
(town and scripted people), `scenario` (the demo's script), `faces` (face photos),
`background` (ray-cast once per camera), `figures` (posed 3D figures and their
painting), `frames` (one camera's frames), `videos` (H.264 files) and `truth` (the true
route and contacts). The names below are what the rest of cctrace uses.
"""

from cctrace.sim.render.base import DEFAULT_FPS, DEFAULT_SIZE_PX
from cctrace.sim.render.cameras import CalibrationPoints, CameraSpec, calibration_points
from cctrace.sim.render.frames import CameraRenderer, FigureTruth, RenderedFrame
from cctrace.sim.render.scenario import DemoScenario, make_demo_scenario
from cctrace.sim.render.truth import DemoTruth, TrueContact, TrueStay, scenario_truth
from cctrace.sim.render.videos import RenderedVideo, encode_h264, render_video, render_videos
from cctrace.sim.render.world import (
    Building,
    Keyframe,
    Outfit,
    Pose,
    Recording,
    Road,
    ScriptedPerson,
    stand,
    then_walk,
    walk,
)

__all__ = [
    "DEFAULT_FPS",
    "DEFAULT_SIZE_PX",
    "Building",
    "CalibrationPoints",
    "CameraRenderer",
    "CameraSpec",
    "DemoScenario",
    "DemoTruth",
    "FigureTruth",
    "Keyframe",
    "Outfit",
    "Pose",
    "Recording",
    "RenderedFrame",
    "RenderedVideo",
    "Road",
    "ScriptedPerson",
    "TrueContact",
    "TrueStay",
    "calibration_points",
    "encode_h264",
    "make_demo_scenario",
    "render_video",
    "render_videos",
    "scenario_truth",
    "stand",
    "then_walk",
    "walk",
]

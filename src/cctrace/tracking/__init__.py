"""Per-camera person tracking (ByteTrack-style, real timestamps) and face-to-track linking."""

from cctrace.tracking.bytetrack import ByteTracker, Track
from cctrace.tracking.faces import link_faces_to_tracks
from cctrace.tracking.mot import MotMetrics, mot_metrics, to_mot_lines

__all__ = [
    "ByteTracker",
    "MotMetrics",
    "Track",
    "link_faces_to_tracks",
    "mot_metrics",
    "to_mot_lines",
]

"""Types every stage shares, pure geometry and errors."""

from cctrace.core.errors import CctraceError, InputError, ModelError, NoFaceError
from cctrace.core.types import Detections

__all__ = ["CctraceError", "Detections", "InputError", "ModelError", "NoFaceError"]

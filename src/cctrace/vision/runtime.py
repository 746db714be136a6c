"""Which CPU runtime runs a graph: ONNX Runtime in float32, or OpenVINO.

The choice is `RUNTIME_ENV` (``CCTRACE_RUNTIME``):

- ``openvino`` (the default where the ``openvino`` package is installed, which cctrace's
  own install does): OpenVINO's CPU plugin with its own precision choice, which is bf16
  on CPUs with native bf16 arithmetic (Intel AMX or AVX-512 BF16, e.g. Xeon Sapphire
  Rapids) and float32 elsewhere. On such a CPU NanoDet runs about 2.8 times faster than
  in float32, and its boxes keep the accuracy measured in docs/benchmarks.md ("Person
  detection in bf16 on OpenVINO"); on other CPUs OpenVINO's float32 is within about
  10 % of ONNX Runtime's.
- ``openvino-f32``: OpenVINO held to float32 (``INFERENCE_PRECISION_HINT=f32``).
- ``onnxruntime``: ONNX Runtime in float32, the reference every accuracy figure was first
  measured with.

Only the graphs whose accuracy was measured under bf16 take this choice (person
detection); the face, mask and appearance models stay on ONNX Runtime or OpenCV in
float32, since their outputs feed thresholds (face matching, mask calls, appearance
links) that were set on float32 outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
from numpy.typing import NDArray

from cctrace.core.errors import InputError, ModelError
from cctrace.vision.models import ort_options

if TYPE_CHECKING:
    import onnxruntime as ort

Runtime = Literal["onnxruntime", "openvino", "openvino-f32"]
RUNTIMES: tuple[Runtime, ...] = ("openvino", "openvino-f32", "onnxruntime")
RUNTIME_ENV = "CCTRACE_RUNTIME"

Array = NDArray[np.float32]


class GraphRunner(Protocol):
    """One loaded graph with one float32 input, run a call at a time."""

    runtime: Runtime
    input_name: str

    def run(self, blob: Array) -> list[Array]:
        """The graph's outputs, in its output order, for the input ``blob``."""
        ...


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


def chosen_runtime(env: dict[str, str] | None = None) -> Runtime:
    """The runtime `RUNTIME_ENV` names, or the default: OpenVINO where it is installed.

    Raises InputError for a value that is not a runtime, naming the variable."""
    env = dict(os.environ) if env is None else env
    value = env.get(RUNTIME_ENV, "").strip().lower()
    if not value:
        return "openvino" if openvino_available() else "onnxruntime"
    for runtime in RUNTIMES:
        if value == runtime:
            if runtime != "onnxruntime" and not openvino_available():
                raise InputError(
                    f"{RUNTIME_ENV}={value} needs the openvino package, which is not "
                    f"installed: reinstall cctrace (pip install -e .) or set "
                    f"{RUNTIME_ENV}=onnxruntime"
                )
            return runtime
    raise InputError(f"{RUNTIME_ENV}={value!r} is not a runtime: use one of {', '.join(RUNTIMES)}")


def cpu_has_bf16() -> bool:
    """Whether OpenVINO's CPU plugin computes in bf16 here by default (AMX or AVX-512
    BF16)."""
    import openvino as ov

    capabilities = ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "BF16" in capabilities


def describe(runtime: Runtime) -> str:
    """``runtime`` in words for a person, with the precision it computes in on this CPU."""
    if runtime == "onnxruntime":
        return "ONNX Runtime, float32"
    if runtime == "openvino-f32" or not cpu_has_bf16():
        return "OpenVINO, float32"
    return "OpenVINO, bf16 (this CPU computes bf16 natively)"


def ort_session(model: Path | bytes, num_threads: int | None) -> ort.InferenceSession:
    """An ONNX Runtime CPU session for a detector that runs one frame at a time."""
    import onnxruntime as ort

    options = ort_options(num_threads)
    # One frame at a time: parallelism across operators only adds thread handoffs.
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    graph = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


class OrtRunner:
    """ONNX Runtime, CPU, float32: one session for every input shape."""

    runtime: Runtime = "onnxruntime"

    def __init__(self, model: Path | bytes, num_threads: int | None) -> None:
        self._session = ort_session(model, num_threads)
        self.input_name = str(self._session.get_inputs()[0].name)

    def run(self, blob: Array) -> list[Array]:
        outputs = self._session.run(None, {self.input_name: blob})
        return [np.asarray(o, dtype=np.float32) for o in outputs]


class OpenVinoRunner:
    """OpenVINO's CPU plugin, compiled once per input shape.

    A graph whose input height and width are free (NanoDet's fitted input) is compiled
    for each shape it meets, a handful per camera (the full frame and its tiles), since a
    compiled static shape runs faster than a dynamic one."""

    def __init__(self, model: Path | bytes, num_threads: int | None, precision: str) -> None:
        import openvino as ov

        self.runtime: Runtime = "openvino-f32" if precision == "f32" else "openvino"
        self._core = ov.Core()
        self._model = (
            self._core.read_model(model, b"")
            if isinstance(model, bytes)
            else self._core.read_model(str(model))
        )
        self.input_name = str(self._model.inputs[0].any_name)
        config: dict[str, object] = {
            "PERFORMANCE_HINT": "LATENCY",
            # Ingestion shares the cores with a decoder, OpenCV and other workers:
            # pinning threads to cores would fight them.
            "ENABLE_CPU_PINNING": False,
        }
        if precision == "f32":
            config["INFERENCE_PRECISION_HINT"] = "f32"
        if num_threads:
            config["INFERENCE_NUM_THREADS"] = num_threads
        self._config = config
        self._compiled: dict[tuple[int, ...], Callable[[Array], list[Array]]] = {}

    def _compile(self, shape: tuple[int, ...]) -> Callable[[Array], list[Array]]:
        model = self._model.clone()
        model.reshape({self.input_name: list(shape)})
        compiled = self._core.compile_model(model, "CPU", self._config)
        request = compiled.create_infer_request()
        outputs = list(compiled.outputs)

        def infer(blob: Array) -> list[Array]:
            result = request.infer({0: blob})
            return [np.array(result[o], dtype=np.float32) for o in outputs]

        return infer

    def run(self, blob: Array) -> list[Array]:
        shape = tuple(int(d) for d in blob.shape)
        infer = self._compiled.get(shape)
        if infer is None:
            infer = self._compiled[shape] = self._compile(shape)
        return infer(blob)


def load_graph(
    model: Path | bytes,
    what: str,
    num_threads: int | None = None,
    runtime: Runtime | None = None,
) -> GraphRunner:
    """``model`` (a checked file, or its serialised graph) loaded on ``runtime`` (default:
    `chosen_runtime`). ``what`` names the model in errors. ``num_threads``: threads per
    call (None or 0: the runtime's default, one per core).

    Raises ModelError naming ``what`` when the graph cannot be loaded."""
    runtime = chosen_runtime() if runtime is None else runtime
    try:
        if runtime == "onnxruntime":
            return OrtRunner(model, num_threads)
        return OpenVinoRunner(model, num_threads, "f32" if runtime == "openvino-f32" else "auto")
    except Exception as exc:  # both runtimes raise their own untyped exception classes
        raise ModelError(f"model {what} could not be loaded on {runtime}: {exc}") from exc

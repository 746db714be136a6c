"""Rebuild the mask-recognition==0.0.1 classifier in plain torch and export it to ONNX.

The PyPI package ``mask-recognition==0.0.1`` (MIT, Rayyan Akhtar) ships
``mask_recognition/model/model.pth``: the state dict of its ``RecognitionModel``, which
is torchvision's MobileNetV2 ``features`` (``bottom``) followed by
``Linear(1280*4*4, 256) -> ReLU -> Linear(256, 2) -> LogSoftmax`` (``top``). Its own
loader builds the network with ``models.mobilenet_v2(True)``, which downloads ImageNet
weights, and torchvision does not import here, so this script writes MobileNetV2 out by
hand with the same module tree (so the state dict loads with ``strict=True``) and never
imports the package.

What the package does around the network, and what cctrace must reproduce
(``cctrace.vision.mask``):

- input: an RGB face crop (MTCNN box, no margin) resized to 128 x 128 (PIL bilinear),
  scaled to [0, 1] and normalised with mean 0.5, std 0.5, i.e. ``x / 127.5 - 1``, NCHW;
- output: log-probabilities (N, 2); class 0 is ``with_mask``, class 1 ``without_mask``.

The exported graph keeps exactly that output (``log_prob``, (N, 2)) with a dynamic batch
axis. Runs in the throwaway toolchain of ``requirements-torch.txt``, never in cctrace's
environment::

    python convert_mask.py --weights model.pth --out mask_mobilenetv2.onnx

The output is byte-for-byte deterministic (checked by converting twice): the exporter's
free-form fields (producer version, doc strings, per-node metadata) are fixed or dropped.
"""
# torch is a conversion-time dependency only and has no stubs in cctrace's environment.
# mypy: ignore-errors

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

INPUT_SIZE_PX = 128
# torchvision's MobileNetV2 inverted-residual table: expansion t, channels c, repeats n,
# first stride s.
_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
OPSET = 17
PRODUCER = "cctrace convert_mask.py"


class ConvBNReLU(nn.Sequential):
    """Conv, batch norm, ReLU6: torchvision's Conv2dNormActivation, same child indices."""

    def __init__(
        self, c_in: int, c_out: int, kernel: int = 3, stride: int = 1, groups: int = 1
    ) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU6(inplace=False),
        )


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.use_res_connect = stride == 1 and c_in == c_out
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNReLU(c_in, hidden, kernel=1))
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, c_out, 1, 1, 0, bias=False),
            nn.BatchNorm2d(c_out),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


def mobilenet_v2_features() -> nn.Sequential:
    """MobileNetV2 (width 1.0) feature extractor: (N, 3, H, W) -> (N, 1280, H/32, W/32)."""
    layers: list[nn.Module] = [ConvBNReLU(3, 32, stride=2)]
    c_in = 32
    for t, c, n, s in _SETTINGS:
        for i in range(n):
            layers.append(InvertedResidual(c_in, c, s if i == 0 else 1, t))
            c_in = c
    layers.append(ConvBNReLU(c_in, 1280, kernel=1))
    return nn.Sequential(*layers)


class RecognitionModel(nn.Module):
    """mask_recognition.networks.RecognitionModel: (N, 3, 128, 128) -> log-probs (N, 2)."""

    def __init__(self) -> None:
        super().__init__()
        self.bottom = mobilenet_v2_features()
        self.top = nn.Sequential(
            nn.Linear(1280 * 4 * 4, 256),
            nn.ReLU(),
            nn.Linear(256, 2),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bottom(x)
        # NCHW flatten order, as the original x.view((N, -1)).
        x = torch.flatten(x, 1)
        return self.top(x)


def load_model(weights: Path) -> RecognitionModel:
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model = RecognitionModel()
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def export_bytes(model: RecognitionModel) -> bytes:
    """Export with the TorchScript exporter and normalise the free-form fields."""
    dummy = torch.zeros(1, 3, INPUT_SIZE_PX, INPUT_SIZE_PX)
    buf = io.BytesIO()
    # The TorchScript exporter is deprecated in favour of torch.export, but it is the one
    # whose output is plain, stable and byte-reproducible for this static CNN.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            (dummy,),
            buf,
            input_names=["image"],
            output_names=["log_prob"],
            dynamic_axes={"image": {0: "batch"}, "log_prob": {0: "batch"}},
            opset_version=OPSET,
            do_constant_folding=True,
            # Batch norm stays a node of its own, its weights copied bit for bit from the
            # state dict: folded into the convolutions by the exporter, the products came
            # out a last bit apart on CPUs with and without AVX-512, so the file's SHA-256
            # depended on the machine that converted it. ONNX Runtime folds it at load.
            training=torch.onnx.TrainingMode.PRESERVE,
            dynamo=False,
        )
    proto = onnx.load_from_string(buf.getvalue())
    proto.producer_name = PRODUCER
    proto.producer_version = "1"
    proto.doc_string = ""
    proto.graph.doc_string = ""
    del proto.metadata_props[:]
    for node in proto.graph.node:
        node.doc_string = ""
        del node.metadata_props[:]
    meta = proto.metadata_props.add()
    meta.key = "classes"
    meta.value = "0=with_mask,1=without_mask"
    meta = proto.metadata_props.add()
    meta.key = "preprocess"
    meta.value = "RGB face crop, resize 128x128, x/127.5-1, NCHW"
    onnx.checker.check_model(proto)
    return proto.SerializeToString(deterministic=True)


def check_against_torch(model: RecognitionModel, onnx_bytes: bytes) -> float:
    """Largest absolute log-prob difference between torch and ONNX Runtime (or the ONNX
    reference evaluator when ORT is absent) on a few inputs, batched."""
    rng = np.random.default_rng(0)
    inputs = rng.uniform(-1.0, 1.0, size=(4, 3, INPUT_SIZE_PX, INPUT_SIZE_PX))
    inputs = inputs.astype(np.float32)
    # Flat grey and a smooth gradient too: real crops are far from uniform noise.
    inputs[2] = 0.0
    inputs[3] = np.linspace(-1.0, 1.0, INPUT_SIZE_PX, dtype=np.float32)[None, None, :]
    with torch.no_grad():
        expected = model(torch.from_numpy(inputs)).numpy()
    try:
        import onnxruntime as ort

        session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
        got = session.run(None, {"image": inputs})[0]
    except ImportError:
        from onnx.reference import ReferenceEvaluator

        got = ReferenceEvaluator(onnx.load_from_string(onnx_bytes)).run(None, {"image": inputs})[0]
    return float(np.max(np.abs(np.asarray(got) - expected)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # --src is the name tools/models/setup_models.py passes to every converter.
    parser.add_argument(
        "--weights", "--src", type=Path, required=True, help="mask_recognition/model/model.pth"
    )
    parser.add_argument("--out", type=Path, required=True, help="output .onnx file")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-4,
        help="largest allowed torch-vs-ONNX log-prob difference",
    )
    args = parser.parse_args(argv)
    if not args.weights.is_file():
        print(f"convert_mask: weights file {args.weights} not found", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    model = load_model(args.weights)
    first = export_bytes(model)
    # Exporting twice in one process catches nondeterminism in the exporter itself.
    second = export_bytes(model)
    if first != second:
        print("convert_mask: two exports differ; output is not deterministic", file=sys.stderr)
        return 1
    diff = check_against_torch(model, first)
    print(f"torch vs ONNX max abs log-prob difference: {diff:.3g}")
    if diff > args.tolerance:
        print(f"convert_mask: difference {diff:.3g} exceeds {args.tolerance}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target then rename, so a killed run leaves no half-written file.
    with tempfile.NamedTemporaryFile(dir=args.out.parent, delete=False) as tmp:
        tmp.write(first)
    Path(tmp.name).replace(args.out)
    print(f"wrote {args.out} sha256 {hashlib.sha256(first).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

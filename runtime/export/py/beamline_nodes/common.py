"""Shared helpers of the Beamline node classes. Written by beamline export; edit the graph, not this file.

What every node class shares (paths, tokenisation, onnxruntime sessions, input checks). Mirrors
runtime/models/*.ts so the Python nodes tokenise and truncate exactly as the TypeScript ones do.
"""
import asyncio
import json
import math
import os
import re
from dataclasses import dataclass
from typing import Any, Optional


class NodeInputError(ValueError):
    """A caller's bad input: the ingress answers 400 and names the node and field."""

    def __init__(self, message: str, field: Optional[str] = None):
        super().__init__(message)
        self.field = field

    def __reduce__(self):
        # Ray pickles it from the replica to the caller; keep the field.
        return (type(self), (str(self), self.field))


class NodeConfigError(ValueError):
    """A node config that cannot work here (missing model folder, bad path)."""


@dataclass
class NodeContext:
    graph: str
    node: str
    kind: str
    models_dir: str
    data_dir: str
    num_gpus: float = 0.0
    gpu_memory_mb: Optional[int] = None

    def log(self, message: str) -> None:
        print(f"[beamline {self.graph}/{self.node}] {message}", flush=True)


def node_context(graph: str, node: str, kind: str, num_gpus: float = 0.0, gpu_memory_mb: Optional[int] = None) -> NodeContext:
    # Set in the image (Dockerfile) or by runtime_env.env_vars in the Serve config.
    return NodeContext(
        graph=graph,
        node=node,
        kind=kind,
        models_dir=os.environ.get("BEAMLINE_MODELS_DIR", "/home/ray/models"),
        data_dir=os.environ.get("BEAMLINE_DATA_DIR", "/home/ray/data"),
        num_gpus=num_gpus,
        gpu_memory_mb=gpu_memory_mb,
    )


def resolve_model_dir(model: str, ctx: NodeContext, field: str = "config.model") -> str:
    """builtin:<name> is <models>/builtin/<name>; anything else a folder inside the models directory."""
    if model.startswith("builtin:"):
        name = model[len("builtin:"):]
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", name):
            raise NodeConfigError(f"{field}: bad builtin model name {name!r}")
        path = os.path.join(ctx.models_dir, "builtin", name)
    else:
        if ".." in re.split(r"[\\/]", model):
            raise NodeConfigError(f"{field}: {model!r} must not contain '..' segments")
        path = os.path.normpath(os.path.join(ctx.models_dir, model))
        if not path.startswith(os.path.normpath(ctx.models_dir) + os.sep):
            raise NodeConfigError(f"{field}: {model!r} is outside the models directory {ctx.models_dir}")
    if not os.path.isdir(path):
        raise NodeConfigError(f"{field}: model folder {path} not found (was it copied into the image?)")
    return path


def model_file(folder: str, name: str, field: str = "config.model") -> str:
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        raise NodeConfigError(f"{field}: model folder {folder} has no {name}")
    return path


def data_path(path: str, ctx: NodeContext, field: str) -> str:
    full = os.path.normpath(os.path.join(ctx.data_dir, path))
    if not full.startswith(os.path.normpath(ctx.data_dir) + os.sep):
        raise NodeInputError(f'input "{field}": path "{path}" is outside the data directory', field)
    return full


def js_type(value) -> str:
    """JavaScript's typeof of a JSON value, so error messages read as the TypeScript node's do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "object"


def text_input(inputs: dict, field: str = "text") -> str:
    """A required string input, or an error naming the field (runtime/models/node-inputs.ts)."""
    if field not in inputs:
        raise NodeInputError(f'input "{field}" must be a string, got undefined', field)
    value = inputs[field]
    if not isinstance(value, str):
        raise NodeInputError(f'input "{field}" must be a string, got {js_type(value)}', field)
    return value


async def call_one(node, inputs: dict) -> dict:
    """call() of a batching node: a batch of one."""
    result = (await node.batch([inputs]))[0]
    if isinstance(result, Exception):
        raise result
    return result


async def batch_each(items: list, parse, run_many) -> list:
    """Runs the valid items of a batch in one go and gives bad items their own error; when the
    shared run fails, items run one by one so only the bad one fails (batchEach in node-inputs.ts)."""
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except Exception as e:  # noqa: BLE001 - the error belongs to that item's caller
            parsed.append(e)
    good = [i for i, p in enumerate(parsed) if not isinstance(p, Exception)]
    out = [p if isinstance(p, Exception) else None for p in parsed]
    try:
        for i, r in zip(good, await in_thread(run_many, [parsed[i] for i in good]) if good else []):
            out[i] = r
    except Exception:  # noqa: BLE001
        for i in good:
            try:
                out[i] = (await in_thread(run_many, [parsed[i]]))[0]
            except Exception as e:  # noqa: BLE001
                out[i] = e
    return out


def documents_input(inputs: dict, field: str) -> list:
    value = inputs.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(d, dict) and isinstance(d.get("text"), str) for d in value):
        raise NodeInputError(f'input "{field}" must be a list of documents with a "text" string', field)
    return value


class TextTokenizer:
    """tokenizer.json via the tokenizers package, truncated and padded as runtime/models/tokenizer.ts does."""

    def __init__(self, folder: str):
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(model_file(folder, "tokenizer.json"))
        # The TypeScript side applies no truncation or padding from tokenizer.json; neither do we.
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()
        cfg_path = os.path.join(folder, "tokenizer_config.json")
        config = json.load(open(cfg_path, encoding="utf-8")) if os.path.exists(cfg_path) else {}
        pad = self.tokenizer.token_to_id(config["pad_token"]) if isinstance(config.get("pad_token"), str) else None
        for candidate in (pad, self.tokenizer.token_to_id("[PAD]"), self.tokenizer.token_to_id("<pad>"), 0):
            if candidate is not None:
                self.pad_id = candidate
                break
        plain = self.tokenizer.encode("a", add_special_tokens=False).ids
        full = self.tokenizer.encode("a").ids
        self.prefix = max(0, _find_run(full, plain))
        self.suffix = len(full) - len(plain) - self.prefix
        pair = self.tokenizer.encode("a", "b").ids
        plain_b = self.tokenizer.encode("b", add_special_tokens=False).ids
        self.pair_suffix = max(0, len(pair) - _last_run(pair, plain_b) - len(plain_b))

    def encode(self, text: str, max_length: int) -> tuple:
        ids = list(self.tokenizer.encode(text).ids)
        if len(ids) <= max_length:
            return ids, [0] * len(ids)
        keep = max(0, max_length - self.prefix - self.suffix)
        cut = ids[: self.prefix] + ids[self.prefix : self.prefix + keep] + (ids[len(ids) - self.suffix :] if self.suffix else [])
        cut = cut[: max(max_length, 1)]
        return cut, [0] * len(cut)

    def encode_pair(self, a: str, b: str, max_length: int) -> tuple:
        enc = self.tokenizer.encode(a, b)
        ids, type_ids = list(enc.ids), list(enc.type_ids or [0] * len(enc.ids))
        over = len(ids) - max_length
        if over <= 0:
            return ids, type_ids
        tail = len(ids) - self.pair_suffix
        head = max(1, tail - over)
        pick = lambda xs: (xs[:head] + xs[tail:])[:max_length]  # noqa: E731
        return pick(ids), pick(type_ids)

    def batch(self, texts: list, max_length: int) -> dict:
        return _pad([self.encode(t, max_length) for t in texts], self.pad_id)

    def batch_pairs(self, pairs: list, max_length: int) -> dict:
        return _pad([self.encode_pair(a, b, max_length) for a, b in pairs], self.pad_id)

    def decode(self, ids: list, skip_special: bool = True) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=skip_special)

    def id_of(self, token: str) -> Optional[int]:
        return self.tokenizer.token_to_id(token)


def _pad(rows: list, pad_id: int) -> dict:
    import numpy as np

    seq = max([1] + [len(ids) for ids, _ in rows])
    ids = np.full((len(rows), seq), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), seq), dtype=np.int64)
    types = np.zeros((len(rows), seq), dtype=np.int64)
    for i, (row, type_ids) in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
        types[i, : len(row)] = type_ids
    return {"ids": ids, "mask": mask, "type_ids": types, "lengths": [len(r) for r, _ in rows]}


def _find_run(hay: list, needle: list) -> int:
    for p in range(0, len(hay) - len(needle) + 1):
        if hay[p : p + len(needle)] == needle:
            return p
    return -1


def _last_run(hay: list, needle: list) -> int:
    for p in range(len(hay) - len(needle), -1, -1):
        if hay[p : p + len(needle)] == needle:
            return p
    return len(hay) - len(needle)


def open_session(path: str, ctx: NodeContext):
    """CUDA when this replica holds a GPU share, else one CPU thread. A replica that reserves a GPU
    but cannot open the CUDA provider fails its start naming the node and the provider's error,
    unless BEAMLINE_ALLOW_CPU_FALLBACK=1 lets it run on the CPU."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if ctx.num_gpus > 0:
        problem = cuda_problem(ort)
        if problem is None:
            cuda = {"device_id": 0}  # Ray sets CUDA_VISIBLE_DEVICES to this replica's GPU.
            if ctx.gpu_memory_mb:
                cuda["gpu_mem_limit"] = str(ctx.gpu_memory_mb * 1024 * 1024)
            session = ort.InferenceSession(path, sess_options=opts, providers=[("CUDAExecutionProvider", cuda), "CPUExecutionProvider"])
            # ONNX Runtime falls back to the CPU provider with only a log line when CUDA cannot start.
            if session.get_providers()[0] == "CUDAExecutionProvider":
                return session
            problem = cuda_load_error(ort)
        if os.environ.get("BEAMLINE_ALLOW_CPU_FALLBACK") != "1":
            raise NodeConfigError(
                f"node {ctx.node} reserves {ctx.num_gpus:g} GPU but ONNX Runtime cannot use CUDA: {problem}. "
                "Fix the image (the export's README, GPU section), or set BEAMLINE_ALLOW_CPU_FALLBACK=1 to run it on the CPU"
            )
        ctx.log(f"CUDA unavailable ({problem}); running on the CPU because BEAMLINE_ALLOW_CPU_FALLBACK=1")
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, sess_options=opts, providers=["CPUExecutionProvider"])


def cuda_problem(ort):
    """Why this onnxruntime cannot run CUDA sessions, or None when it may."""
    # onnxruntime-gpu[cuda,cudnn] installs NVIDIA's CUDA and cuDNN wheels; preload_dlls (1.21+) loads them.
    if hasattr(ort, "preload_dlls"):
        try:
            ort.preload_dlls()
        except Exception as e:  # noqa: BLE001 - reported below if the provider then fails
            return f"onnxruntime.preload_dlls() failed: {e}"
    providers = ort.get_available_providers()
    if "CUDAExecutionProvider" not in providers:
        return f"this onnxruntime has no CUDA provider (it has {', '.join(providers)}); install onnxruntime-gpu, and only it"
    return None


def cuda_load_error(ort) -> str:
    """The dynamic loader's message for the CUDA provider library (a missing libcudnn.so.9, say)."""
    import ctypes

    lib = os.path.join(os.path.dirname(ort.__file__), "capi", "libonnxruntime_providers_cuda.so")
    try:
        ctypes.CDLL(lib)
    except OSError as e:
        return str(e)
    return "the session fell back to CPUExecutionProvider (ONNX Runtime's error is in the replica's log)"


def int_feed(session, name: str, array):
    """Integer ids as the dtype the model declares for that input (int64 unless it says int32)."""
    import numpy as np

    for meta in session.get_inputs():
        if meta.name == name and meta.type == "tensor(int32)":
            return array.astype(np.int32)
    return array.astype(np.int64)


def input_names(session) -> list:
    return [m.name for m in session.get_inputs()]


def output_names(session) -> list:
    return [m.name for m in session.get_outputs()]


def token_feed(session, batch: dict) -> dict:
    """The feeds an encoder asks for, by input name, as runtime/models/text-feeds.ts builds them."""
    import numpy as np

    feed = {}
    for name in input_names(session):
        if name == "input_ids":
            feed[name] = int_feed(session, name, batch["ids"])
        elif name == "attention_mask":
            feed[name] = int_feed(session, name, batch["mask"])
        elif name == "token_type_ids":
            feed[name] = int_feed(session, name, batch["type_ids"])
        elif name == "position_ids":
            rows, seq = batch["ids"].shape
            feed[name] = int_feed(session, name, np.tile(np.arange(seq), (rows, 1)))
        else:
            raise NodeConfigError(f'the model wants an input "{name}" that a text encoder cannot provide')
    return feed


def l2_normalize(rows):
    import numpy as np

    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


# Outputs that already hold one pooled vector per text, in the order they are preferred.
POOLED_OUTPUTS = ["sentence_embedding", "sentence_embeddings", "embeddings", "text_embeds"]


class Embedding:
    """Sentence vectors from an ONNX model folder: the embedder's and the cosine reranker's shared path."""

    def __init__(self, folder: str, ctx: NodeContext, pooling: str = "auto", normalize: bool = True, max_length: int = 256):
        self.tokenizer = TextTokenizer(folder)
        self.session = open_session(model_file(folder, "model.onnx"), ctx)
        self.pooling, self.normalize, self.max_length = pooling, normalize, max_length
        names = output_names(self.session)
        self.pooled = next((n for n in POOLED_OUTPUTS if n in names), None)
        self.tokens = "last_hidden_state" if "last_hidden_state" in names else names[0]
        if pooling == "none" and self.pooled is None:
            raise NodeConfigError(f'config.pooling: "none" needs a pooled output ({", ".join(POOLED_OUTPUTS)}); the model has {", ".join(names)}')
        self.use_pooled = self.pooled is not None and pooling in ("auto", "none")

    def embed(self, texts: list):
        import numpy as np

        batch = self.tokenizer.batch(texts, self.max_length)
        name = self.pooled if self.use_pooled else self.tokens
        t = np.asarray(self.session.run([name], token_feed(self.session, batch))[0], dtype=np.float32)
        if self.use_pooled or t.ndim == 2:
            vectors = t
        elif self.pooling == "cls":
            vectors = t[:, 0]
        else:
            mask = batch["mask"][..., None].astype(np.float32)
            vectors = (t * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)
        return l2_normalize(vectors) if self.normalize else vectors


async def in_thread(fn, *args):
    """Model runs block; run them off the replica's event loop so health checks still answer."""
    return await asyncio.to_thread(fn, *args)


def json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

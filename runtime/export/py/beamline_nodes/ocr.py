"""rapidocr-onnxruntime runs the same PaddleOCR detection and recognition ONNX models in Python that
@gutenye/ocr-node runs in Node (runtime/nodes/ocr.ts)."""

import base64
import os
import re

from .common import NodeInputError, batch_each, call_one, data_path, resolve_model_dir


MAX_IMAGE_BYTES = 32 * 1024 * 1024
_SIGNATURES = [
    lambda b: b[:4] == b"\x89PNG",
    lambda b: b[:3] == b"\xff\xd8\xff",
    lambda b: b[:3] == b"GIF",
    lambda b: b[:4] == b"RIFF" and b[8:10] == b"WE",
    lambda b: b[:3] == b"II*" or (b[:2] == b"MM" and b[3:4] == b"*"),
    lambda b: b[:2] == b"BM",
]


def _b64(text: str) -> bytes:
    # Node's Buffer.from(text, "base64") takes the URL-safe alphabet and missing padding too.
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _checked(data: bytes, field: str, what: str) -> bytes:
    if len(data) > MAX_IMAGE_BYTES:
        raise NodeInputError(f'input "{field}": {what} is {len(data)} bytes, the limit is {MAX_IMAGE_BYTES}', field)
    if len(data) < 12 or not any(test(data) for test in _SIGNATURES):
        raise NodeInputError(f'input "{field}": {what} is not a PNG, JPEG, GIF, WebP, TIFF or BMP image', field)
    return data


def _model(path, ctx, field):
    if not path:
        return None
    folder, name = os.path.split(path)
    return os.path.join(resolve_model_dir(folder, ctx, field), name) if folder else resolve_model_dir(path, ctx, field)


class OcrNode:
    def __init__(self, config: dict, ctx):
        from rapidocr_onnxruntime import RapidOCR

        self.ctx = ctx
        self.min_score = config.get("minScore", 0.5)
        options = {
            "det_model_path": _model(config.get("detectionModel"), ctx, "config.detectionModel"),
            "rec_model_path": _model(config.get("recognitionModel"), ctx, "config.recognitionModel"),
            "rec_keys_path": _model(config.get("dictionary"), ctx, "config.dictionary"),
        }
        self.engine = RapidOCR(**{k: v for k, v in options.items() if v})

    def image_bytes(self, value, field: str = "image") -> bytes:
        """A data: URL, plain base64, or a file inside the data directory (runtime/vision/image-input.ts)."""
        if not isinstance(value, str) or not value:
            raise NodeInputError(f'input "{field}" must be base64, a data: URL or a path inside the data directory', field)
        m = re.match(r"^data:([^;,]*)(;base64)?,", value, re.I)
        if m:
            if not m.group(2):
                raise NodeInputError(f'input "{field}": only base64 data: URLs are accepted', field)
            return _checked(_b64(value[m.end() :]), field, "the data: URL")
        compact = re.sub(r"\s+", "", value) if len(value) > 256 else value
        if len(compact) > 64 and re.match(r"^[A-Za-z0-9+/_-]+={0,2}$", compact):
            return _checked(_b64(compact), field, "the base64 text")
        path = data_path(value, self.ctx, field)
        if not os.path.isfile(path):
            raise NodeInputError(f'input "{field}": no image file "{value}" in the data directory', field)
        size = os.path.getsize(path)
        if size > MAX_IMAGE_BYTES:
            raise NodeInputError(f'input "{field}": "{value}" is {size} bytes, the limit is {MAX_IMAGE_BYTES}', field)
        with open(path, "rb") as f:
            return _checked(f.read(), field, f'"{value}"')

    def read(self, data: bytes) -> list:
        result, _ = self.engine(data)
        lines = []
        for box, text, score in result or []:
            if float(score) >= self.min_score:
                lines.append({"text": text, "score": float(score), "box": [[round(float(x)), round(float(y))] for x, y in box]})
        # Top to bottom, then left to right, as the TypeScript node orders them.
        return sorted(lines, key=lambda line: (line["box"][0][1], line["box"][0][0]) if line["box"] else (0, 0))

    def read_many(self, images: list) -> list:
        out = []
        for data in images:
            lines = self.read(data)
            out.append({"text": "\n".join(line["text"] for line in lines), "lines": lines})
        return out

    async def call(self, inputs: dict) -> dict:
        return await call_one(self, inputs)

    async def batch(self, items: list) -> list:
        return await batch_each(items, lambda item: self.image_bytes(item.get("image")), self.read_many)

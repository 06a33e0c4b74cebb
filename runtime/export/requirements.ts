import type { ExportTemplate } from './templates.js';

/**
 * The Python packages of an export, with exactly one ONNX Runtime distribution.
 * GPU images get onnxruntime-gpu with its `cuda` and `cudnn` extras: Ray's `-gpu`
 * images carry CUDA 12.1 with cuDNN 8 (GPU_PLATFORM in Ray's
 * ci/ray_ci/docker_container.py), onnxruntime-gpu from 1.19 on PyPI is built for
 * CUDA 12 with cuDNN 9, and the extras install NVIDIA's CUDA 12 and cuDNN 9
 * wheels, which onnxruntime.preload_dlls() (1.21 and later) loads before a CUDA
 * session opens (common.py). Sources in docs/ray-export.md.
 */
export const ONNXRUNTIME_VERSION = '1.22.0';
export const ONNXRUNTIME_CPU = `onnxruntime==${ONNXRUNTIME_VERSION}`;
export const ONNXRUNTIME_GPU = `onnxruntime-gpu[cuda,cudnn]==${ONNXRUNTIME_VERSION}`;

/** The distribution name of a requirement line: `onnxruntime-gpu[cuda]==1.2` -> onnxruntime-gpu. */
export const distribution = (line: string) => line.split(/[\s[=<>!~;]/)[0].toLowerCase().replace(/_/g, '-');

export interface Requirements {
  /** `pip install -r requirements.txt`. */
  requirements: string[];
  /** `pip install --no-deps -r requirements-nodeps.txt`, after the above. */
  withoutDeps: string[];
}

export function requirementsOf(templates: Iterable<ExportTemplate>, gpu: boolean): Requirements {
  const wanted = new Set<string>();
  const withoutDeps = new Set<string>();
  for (const t of templates) {
    for (const r of t.requirements) wanted.add(r);
    for (const w of t.withoutDeps ?? []) {
      withoutDeps.add(w.package);
      for (const d of w.dependencies) wanted.add(d);
    }
  }
  const pinned = [...wanted].map((r) => (distribution(r) === 'onnxruntime' ? (gpu ? ONNXRUNTIME_GPU : ONNXRUNTIME_CPU) : r));
  return { requirements: [...new Set(pinned)].sort(), withoutDeps: [...withoutDeps].sort() };
}

/** PaddleOCR (PP-OCRv4 detection + recognition) through @gutenye/ocr-node on the project's onnxruntime-node. */
import Ocr from '@gutenye/ocr-node';

export interface OcrLine {
  text: string;
  score: number;
  /** Four corners [x, y] in image pixels: top-left, top-right, bottom-right, bottom-left. */
  box: [number, number][];
}

export interface OcrModelPaths {
  detectionPath?: string;
  recognitionPath?: string;
  dictionaryPath?: string;
}

export interface OcrEngine {
  read(image: Buffer): Promise<OcrLine[]>;
}

export async function createOcr(models: OcrModelPaths = {}): Promise<OcrEngine> {
  const ocr = await Ocr.create({ models: models as Required<OcrModelPaths> });
  return {
    async read(image) {
      // The library opens its input with sharp, which takes bytes as well as paths.
      const raw = (await ocr.detect(image as unknown as string)) as { text: string; mean: number; box?: number[][] }[];
      const lines = raw
        .filter((l) => l.text.trim().length > 0)
        .map((l) => ({
          text: l.text.trim(),
          score: Math.round(l.mean * 1e4) / 1e4,
          box: (l.box ?? []).map((p) => [Math.round(p[0]), Math.round(p[1])] as [number, number]),
        }));
      // Reading order: top to bottom, then left to right.
      return lines.sort((a, b) => (a.box[0]?.[1] ?? 0) - (b.box[0]?.[1] ?? 0) || (a.box[0]?.[0] ?? 0) - (b.box[0]?.[0] ?? 0));
    },
  };
}

/** PaddleOCR (PP-OCRv4 detection + recognition) through @gutenye/ocr-node on the project's onnxruntime-node. */
import Ocr from '@gutenye/ocr-node';
import sharp from 'sharp';

/**
 * Longest side fed to text detection. The library turns every pixel into JS numbers;
 * a 12-megapixel photo took ~10 s and 2 GB there, while text stays legible at this size.
 */
export const MAX_SIDE = 2000;

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

/** The image scaled down so its longest side is at most MAX_SIDE; the factor maps boxes back. */
/** The bytes look like an image but do not decode: the caller's input, not a server fault. */
export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

async function fitted(image: Buffer): Promise<{ image: Buffer; scale: number }> {
  let meta: sharp.Metadata;
  try {
    meta = await sharp(image).metadata();
    // metadata() reads only the header; a decode pass catches truncated or corrupt data.
    await sharp(image).stats();
  } catch (e) {
    throw new ImageDecodeError(`cannot decode the image: ${(e as Error).message}`);
  }
  const side = Math.max(meta.width ?? 0, meta.height ?? 0);
  if (side <= MAX_SIDE) return { image, scale: 1 };
  const scale = side / MAX_SIDE;
  const resized = await sharp(image).resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside' }).png().toBuffer();
  return { image: resized, scale };
}

export async function createOcr(models: OcrModelPaths = {}): Promise<OcrEngine> {
  const ocr = await Ocr.create({ models: models as Required<OcrModelPaths> });
  return {
    async read(input) {
      const { image, scale } = await fitted(input);
      // The library opens its input with sharp, which takes bytes as well as paths.
      const raw = (await ocr.detect(image as unknown as string)) as { text: string; mean: number; box?: number[][] }[];
      const lines = raw
        .filter((l) => l.text.trim().length > 0)
        .map((l) => ({
          text: l.text.trim(),
          score: Math.round(l.mean * 1e4) / 1e4,
          box: (l.box ?? []).map((p) => [Math.round(p[0] * scale), Math.round(p[1] * scale)] as [number, number]),
        }));
      // Reading order: top to bottom, then left to right.
      return lines.sort((a, b) => (a.box[0]?.[1] ?? 0) - (b.box[0]?.[1] ?? 0) || (a.box[0]?.[0] ?? 0) - (b.box[0]?.[0] ?? 0));
    },
  };
}

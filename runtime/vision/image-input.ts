/**
 * An `image` port value to bytes: a data: URL, plain base64, raw bytes, or a
 * file path that must stay inside the data directory.
 */
import { readFileSync, statSync } from 'node:fs';
import { INPUT_LIMIT_DEFAULTS } from '../../shared/catalog/input-limits.js';
import { resolveInside } from '../security/inside.js';
import { NodeInputError } from '../nodes/types.js';
import { imageSize } from './image-size.js';

export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;
/**
 * Largest image a node decodes, width x height from its header: the input
 * node's default bound, applied again here to images named by a path (which
 * the input node does not open).
 */
export const MAX_IMAGE_PIXELS = INPUT_LIMIT_DEFAULTS.maxImagePixels;

const SIGNATURES: [string, (b: Uint8Array) => boolean][] = [
  ['png', (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47],
  ['jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['gif', (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46],
  ['webp', (b) => b[0] === 0x52 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x46 && b[8] === 0x57 && b[9] === 0x45],
  ['tiff', (b) => (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a)],
  ['bmp', (b) => b[0] === 0x42 && b[1] === 0x4d],
];

export function imageFormat(bytes: Uint8Array): string | undefined {
  if (bytes.length < 12) return undefined;
  return SIGNATURES.find(([, test]) => test(bytes))?.[0];
}

function checked(bytes: Buffer, field: string, what: string): Buffer {
  if (bytes.length > MAX_IMAGE_BYTES) throw new NodeInputError(`input "${field}": ${what} is ${bytes.length} bytes, the limit is ${MAX_IMAGE_BYTES}`, field);
  if (!imageFormat(bytes)) throw new NodeInputError(`input "${field}": ${what} is not a PNG, JPEG, GIF, WebP, TIFF or BMP image`, field);
  const size = imageSize(bytes);
  if (size && size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new NodeInputError(`input "${field}": ${what} is ${size.width} x ${size.height} pixels, the limit is ${MAX_IMAGE_PIXELS}`, field);
  }
  return bytes;
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const DATA_URL = /^data:([^;,]*)(;base64)?,/i;

/**
 * The bytes of an image given inline, as a base64 data: URL or plain base64,
 * as imageBytes reads them; undefined for anything else (a path, a data: URL
 * that is not base64).
 */
export function inlineImageBytes(value: string): Buffer | undefined {
  const data = DATA_URL.exec(value);
  if (data) return data[2] ? Buffer.from(value.slice(data[0].length), 'base64') : undefined;
  const compact = value.length > 256 ? value.replace(/\s+/g, '') : value;
  return compact.length > 64 && BASE64.test(compact) ? Buffer.from(compact, 'base64') : undefined;
}

export function imageBytes(value: unknown, dataDir: string, field = 'image'): Buffer {
  if (value instanceof Uint8Array) return checked(Buffer.from(value), field, 'the bytes');
  if (typeof value !== 'string' || value.length === 0) {
    throw new NodeInputError(`input "${field}" must be base64, a data: URL or a path inside the data directory`, field);
  }
  const inline = inlineImageBytes(value);
  const isDataUrl = DATA_URL.test(value);
  if (isDataUrl && !inline) throw new NodeInputError(`input "${field}": only base64 data: URLs are accepted`, field);
  if (inline) return checked(inline, field, isDataUrl ? 'the data: URL' : 'the base64 text');
  const path = resolveInside(value, [dataDir]);
  if (path === undefined) throw new NodeInputError(`input "${field}": path "${value}" is outside the data directory`, field);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw new NodeInputError(`input "${field}": no image file "${value}" in the data directory`, field);
  }
  if (size > MAX_IMAGE_BYTES) throw new NodeInputError(`input "${field}": "${value}" is ${size} bytes, the limit is ${MAX_IMAGE_BYTES}`, field);
  return checked(readFileSync(path), field, `"${value}"`);
}

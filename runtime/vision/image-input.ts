/**
 * An `image` port value to bytes: a data: URL, plain base64, raw bytes, or a
 * file path that must stay inside the data directory.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolveInside } from '../security/paths.js';
import { NodeInputError } from '../nodes/types.js';

export const MAX_IMAGE_BYTES = 32 * 1024 * 1024;

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
  return bytes;
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

export function imageBytes(value: unknown, dataDir: string, field = 'image'): Buffer {
  if (value instanceof Uint8Array) return checked(Buffer.from(value), field, 'the bytes');
  if (typeof value !== 'string' || value.length === 0) {
    throw new NodeInputError(`input "${field}" must be base64, a data: URL or a path inside the data directory`, field);
  }
  const data = /^data:([^;,]*)(;base64)?,/i.exec(value);
  if (data) {
    if (!data[2]) throw new NodeInputError(`input "${field}": only base64 data: URLs are accepted`, field);
    return checked(Buffer.from(value.slice(data[0].length), 'base64'), field, 'the data: URL');
  }
  const compact = value.length > 256 ? value.replace(/\s+/g, '') : value;
  if (compact.length > 64 && BASE64.test(compact)) return checked(Buffer.from(compact, 'base64'), field, 'the base64 text');
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

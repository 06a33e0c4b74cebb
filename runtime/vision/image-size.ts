/**
 * Width and height from an image's header, without decoding it: the pixel
 * bound is checked before anything allocates width x height (a small PNG can
 * declare 100,000 x 100,000 and decode to tens of gigabytes).
 */
export interface ImageSize {
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, i: number) => (b[i] << 8) | b[i + 1];
const u16le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8);
const u24le = (b: Uint8Array, i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
const u32be = (b: Uint8Array, i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
const u32le = (b: Uint8Array, i: number) => ((b[i + 3] << 24) >>> 0) + ((b[i + 2] << 16) | (b[i + 1] << 8) | b[i]);
const ascii = (b: Uint8Array, i: number, s: string) => {
  for (let k = 0; k < s.length; k++) if (b[i + k] !== s.charCodeAt(k)) return false;
  return true;
};

function png(b: Uint8Array): ImageSize | undefined {
  if (b.length < 24 || !ascii(b, 12, 'IHDR')) return undefined;
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

function gif(b: Uint8Array): ImageSize | undefined {
  return b.length < 10 ? undefined : { width: u16le(b, 6), height: u16le(b, 8) };
}

function bmp(b: Uint8Array): ImageSize | undefined {
  if (b.length < 26) return undefined;
  if (u32le(b, 14) === 12) return { width: u16le(b, 18), height: u16le(b, 20) };
  // Height is negative for top-down bitmaps.
  return { width: Math.abs(u32le(b, 18) | 0), height: Math.abs(u32le(b, 22) | 0) };
}

function webp(b: Uint8Array): ImageSize | undefined {
  if (b.length < 30) return undefined;
  if (ascii(b, 12, 'VP8X')) return { width: u24le(b, 24) + 1, height: u24le(b, 27) + 1 };
  if (ascii(b, 12, 'VP8L')) {
    const b0 = b[21];
    const b1 = b[22];
    const b2 = b[23];
    const b3 = b[24];
    return { width: 1 + (((b1 & 0x3f) << 8) | b0), height: 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6)) };
  }
  if (ascii(b, 12, 'VP8 ')) return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  return undefined;
}

/** Start-of-frame markers: every JPEG coding process (not DHT C4, JPG C8, DAC CC). */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpeg(b: Uint8Array): ImageSize | undefined {
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (SOF.has(marker)) return i + 8 < b.length ? { width: u16be(b, i + 7), height: u16be(b, i + 5) } : undefined;
    if (marker === 0xd9 || marker === 0xda) return undefined;
    i += 2 + u16be(b, i + 2);
  }
  return undefined;
}

function tiff(b: Uint8Array): ImageSize | undefined {
  const le = b[0] === 0x49;
  const r16 = le ? u16le : u16be;
  const r32 = le ? u32le : u32be;
  if (b.length < 8) return undefined;
  const ifd = r32(b, 4);
  if (ifd + 2 > b.length) return undefined;
  const n = r16(b, ifd);
  let width: number | undefined;
  let height: number | undefined;
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > b.length) break;
    const tag = r16(b, e);
    if (tag !== 256 && tag !== 257) continue;
    const type = r16(b, e + 2);
    const v = type === 3 ? r16(b, e + 8) : r32(b, e + 8);
    if (tag === 256) width = v;
    else height = v;
  }
  return width !== undefined && height !== undefined ? { width, height } : undefined;
}

/** The size a PNG, JPEG, GIF, WebP, TIFF or BMP header declares; undefined when there is none to read. */
export function imageSize(b: Uint8Array): ImageSize | undefined {
  if (b.length < 12) return undefined;
  if (b[0] === 0x89 && ascii(b, 1, 'PNG')) return png(b);
  if (b[0] === 0xff && b[1] === 0xd8) return jpeg(b);
  if (ascii(b, 0, 'GIF8')) return gif(b);
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return webp(b);
  if ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a)) return tiff(b);
  if (b[0] === 0x42 && b[1] === 0x4d) return bmp(b);
  return undefined;
}

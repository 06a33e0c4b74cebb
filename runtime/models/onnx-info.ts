/**
 * What an ONNX file declares, read straight from its protobuf without onnxruntime:
 * graph inputs and outputs (name, element type, shape), initializer types and
 * shapes, the ops used and the opsets. Synchronous and cheap (weights are skipped
 * by length), so `validate` and `models inspect` can check a model folder before
 * anything loads, and a corrupt file gets an error naming it rather than a
 * protobuf message from deep inside onnxruntime.
 */
import { readFileSync } from 'node:fs';

export const ELEM_TYPES: Record<number, string> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  16: 'bfloat16',
};

export interface ValueInfo {
  name: string;
  type: string;
  /** Fixed sizes as numbers, symbolic ones (batch, sequence) as strings; undefined when the rank is unknown. */
  shape?: (number | string)[];
}

export interface OnnxInfo {
  irVersion: number;
  producer: string;
  opsets: Record<string, number>;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, { type: string; dims: number[] }>;
  nodes: { op: string; domain: string; inputs: string[]; outputs: string[] }[];
  /** Weights stored beside the file (models over 2 GB). */
  externalData: boolean;
}

export class OnnxFormatError extends Error {}

class Reader {
  at = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}
  done(): boolean {
    return this.at >= this.end;
  }
  varint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.at >= this.end) throw new OnnxFormatError(`the protobuf ends inside a number at byte ${this.at}`);
      const b = this.buf[this.at++];
      // Beyond 2^53 precision is lost; field numbers, lengths and dims are far below it.
      result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return result;
      if (shift > 63) throw new OnnxFormatError(`a number at byte ${this.at} is longer than 10 bytes`);
    }
  }
  /** Signed int64 (two's complement): dims of -1 are written that way. */
  int64(): number {
    const v = this.varint();
    return v >= 2 ** 63 ? v - 2 ** 64 : v;
  }
  sub(): Reader {
    const len = this.varint();
    if (this.at + len > this.end) throw new OnnxFormatError(`a field at byte ${this.at} claims ${len} bytes, past the end of the file`);
    const r = new Reader(this.buf, this.at + len);
    r.at = this.at;
    this.at += len;
    return r;
  }
  string(): string {
    const r = this.sub();
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + r.at, r.end - r.at).toString('utf8');
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.at += 8;
    else if (wire === 2) this.sub();
    else if (wire === 5) this.at += 4;
    else throw new OnnxFormatError(`unexpected protobuf wire type ${wire} at byte ${this.at}`);
    if (this.at > this.end) throw new OnnxFormatError(`a field at byte ${this.at} runs past the end of the file`);
  }
  /** Calls f(field, wire) for each field; f returns false to skip the field. */
  fields(f: (field: number, wire: number) => boolean): void {
    while (!this.done()) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 0) throw new OnnxFormatError(`field number 0 at byte ${this.at}`);
      if (!f(field, wire)) this.skip(wire);
    }
  }
}

function dimensionOf(r: Reader): number | string {
  let dim: number | string = '?';
  r.fields((f, w) => {
    if (f === 1 && w === 0) dim = r.int64();
    else if (f === 2 && w === 2) dim = r.string();
    else return false;
    return true;
  });
  return dim;
}

function tensorShapeOf(r: Reader): (number | string)[] {
  const dims: (number | string)[] = [];
  r.fields((f, w) => {
    if (f !== 1 || w !== 2) return false;
    dims.push(dimensionOf(r.sub()));
    return true;
  });
  return dims;
}

function tensorTypeOf(r: Reader): { type: string; shape?: (number | string)[] } {
  const out: { type: string; shape?: (number | string)[] } = { type: 'unknown' };
  r.fields((f, w) => {
    if (f === 1 && w === 0) out.type = ELEM_TYPES[r.varint()] ?? 'unknown';
    else if (f === 2 && w === 2) out.shape = tensorShapeOf(r.sub());
    else return false;
    return true;
  });
  return out;
}

function valueInfoOf(r: Reader): ValueInfo {
  const v: ValueInfo = { name: '', type: 'unknown' };
  r.fields((f, w) => {
    if (f === 1 && w === 2) v.name = r.string();
    else if (f === 2 && w === 2) {
      const t = r.sub();
      t.fields((g, x) => {
        if (g === 1 && x === 2) {
          const tensor = tensorTypeOf(t.sub());
          v.type = tensor.type;
          if (tensor.shape) v.shape = tensor.shape;
        } else if ((g === 4 || g === 5) && x === 2) {
          v.type = g === 4 ? 'sequence' : 'map';
          return false;
        } else return false;
        return true;
      });
    } else return false;
    return true;
  });
  return v;
}

function tensorOf(r: Reader): { name: string; type: string; dims: number[]; external: boolean } {
  const t = { name: '', type: 'unknown', dims: [] as number[], external: false };
  r.fields((f, w) => {
    if (f === 1 && w === 0) t.dims.push(r.int64());
    else if (f === 1 && w === 2) {
      const p = r.sub();
      while (!p.done()) t.dims.push(p.int64());
    } else if (f === 2 && w === 0) t.type = ELEM_TYPES[r.varint()] ?? 'unknown';
    else if (f === 8 && w === 2) t.name = r.string();
    else if (f === 14 && w === 0) t.external = r.varint() === 1;
    else return false;
    return true;
  });
  return t;
}

function nodeOf(r: Reader): OnnxInfo['nodes'][number] {
  const n = { op: '', domain: '', inputs: [] as string[], outputs: [] as string[] };
  r.fields((f, w) => {
    if (w !== 2) return false;
    if (f === 1) n.inputs.push(r.string());
    else if (f === 2) n.outputs.push(r.string());
    else if (f === 4) n.op = r.string();
    else if (f === 7) n.domain = r.string();
    else return false;
    return true;
  });
  return n;
}

/** Parses the bytes of an ONNX ModelProto; throws OnnxFormatError when they are not one. */
export function parseOnnx(buf: Uint8Array): OnnxInfo {
  const info: OnnxInfo = { irVersion: 0, producer: '', opsets: {}, inputs: [], outputs: [], initializers: new Map(), nodes: [], externalData: false };
  let graphs = 0;
  const r = new Reader(buf);
  r.fields((f, w) => {
    if (f === 1 && w === 0) info.irVersion = r.varint();
    else if (f === 2 && w === 2) info.producer = r.string();
    else if (f === 8 && w === 2) {
      const o = r.sub();
      let domain = '';
      let version = 0;
      o.fields((g, x) => {
        if (g === 1 && x === 2) domain = o.string();
        else if (g === 2 && x === 0) version = o.varint();
        else return false;
        return true;
      });
      info.opsets[domain || 'ai.onnx'] = version;
    } else if (f === 7 && w === 2) {
      graphs++;
      const g = r.sub();
      g.fields((gf, gw) => {
        if (gw !== 2) return false;
        if (gf === 1) info.nodes.push(nodeOf(g.sub()));
        else if (gf === 5) {
          const t = tensorOf(g.sub());
          info.initializers.set(t.name, { type: t.type, dims: t.dims });
          if (t.external) info.externalData = true;
        } else if (gf === 11) info.inputs.push(valueInfoOf(g.sub()));
        else if (gf === 12) info.outputs.push(valueInfoOf(g.sub()));
        else return false;
        return true;
      });
    } else return false;
    return true;
  });
  if (graphs !== 1 || info.outputs.length === 0) throw new OnnxFormatError('it holds no graph with outputs');
  // Initializers may also be listed as graph inputs (older exporters): they are not fed.
  info.inputs = info.inputs.filter((i) => !info.initializers.has(i.name));
  return info;
}

/** The declared interface of an ONNX file; the error names the file. */
export function readOnnxInfo(path: string): OnnxInfo {
  const buf = readFileSync(path);
  try {
    return parseOnnx(buf);
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new OnnxFormatError(`${path} is not a valid ONNX model: ${e.message}`);
    throw e;
  }
}

import { deflateSync } from 'node:zlib';
import type { Plan } from '../../shared/plan.js';
import type { PortType } from '../../shared/ports.js';
import { seededRandom } from '../../shared/random.js';
import { checkInputFields } from '../dataplane/inline/input-fields.js';
import { TuneError } from './errors.js';

/** The input node's fields and bounds, as a request body is checked against them. */
function inputFields(plan: Plan): { fields: Record<string, PortType>; limits: Record<string, number> } {
  const c = plan.nodes[plan.inputNode].config as { fields: Record<string, PortType> } & Record<string, number>;
  return { fields: c.fields, limits: c };
}

/**
 * Sample requests from JSONL text: one JSON object per non-blank line, each checked against the
 * input node's fields as a request would be. Throws a TuneError naming the line and the field.
 */
export function parseSamples(text: string, file: string, plan: Plan): Record<string, unknown>[] {
  const { fields, limits } = inputFields(plan);
  const out: Record<string, unknown>[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new TuneError(`${file} line ${i + 1} is not JSON: ${(e as Error).message}`, 'write one JSON object per line');
    }
    const problem = checkInputFields(v, fields, limits);
    if (problem) {
      const want = Object.entries(fields).map(([k, t]) => `${k}: ${t}`).join(', ');
      throw new TuneError(`${file} line ${i + 1} does not match input node ${plan.inputNode}: ${problem.path}: ${problem.message}`, `each line must be a request body with the input node's fields (${want})`, plan.inputNode);
    }
    out.push(v as Record<string, unknown>);
  }
  if (!out.length) throw new TuneError(`${file} holds no samples`, 'write one JSON request body per line');
  return out;
}

const SENTENCES = [
  'How does Ray Serve scale replicas when traffic grows?',
  'Summarise the quarterly report for the board in three sentences.',
  'The invoice from Acme Corp dated 3 March lists twelve items and a total of 4,210 euros.',
  'What is the difference between dynamic batching and adding replicas?',
  'Marie Curie was born in Warsaw and worked in Paris, where she won two Nobel prizes.',
  'Please reset my password; I can no longer sign in from my phone.',
  'Explain fractional GPU sharing and when it saves money.',
  'The shipment left Rotterdam on Tuesday and should reach Hamburg by Friday morning.',
];

/** Request bodies generated from the input node's field types (text: built-in sentences; image: a generated PNG). */
export function generateSamples(plan: Plan, count: number, seed = 1): Record<string, unknown>[] {
  const { fields } = inputFields(plan);
  const rand = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const body: Record<string, unknown> = {};
    for (const [name, type] of Object.entries(fields)) body[name] = sampleValue(type, i, rand);
    return body;
  });
}

function sampleValue(type: PortType, i: number, rand: () => number): unknown {
  const text = SENTENCES[i % SENTENCES.length];
  switch (type) {
    case 'text':
    case 'label':
      return text;
    case 'texts':
      return [text, SENTENCES[(i + 1) % SENTENCES.length]];
    case 'vector':
      return Array.from({ length: 8 }, () => rand());
    case 'vectors':
      return [Array.from({ length: 8 }, () => rand())];
    case 'documents':
      return [{ id: `doc${i}`, text }];
    case 'entities':
      return [];
    case 'image':
      return `data:image/png;base64,${stripedPng(96, 32, i).toString('base64')}`;
    default:
      return { text, n: i };
  }
}

/** A small greyscale PNG with stripes (no image library needed). */
function stripedPng(width: number, height: number, seed: number): Buffer {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0;
    for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = (x + seed) % 12 < 6 ? 20 : 235;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

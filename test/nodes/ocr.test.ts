import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ocr } from '../../runtime/nodes/ocr.js';
import type { NodeInstance } from '../../runtime/nodes/types.js';
import { ocr as kind } from '../../shared/catalog/ocr.js';
import { CONVERT, renderInvoice, SAMPLE_INVOICE } from '../../scripts/render-invoice.js';
import { callContext, nodeContext } from './helpers.js';
import { missingTool } from '../system-tools.js';

// The test command installs Debian's ImageMagick; only a machine without it skips.
const NO_CONVERT = missingTool(CONVERT, 'imagemagick');

type Line = { text: string; score: number; box: [number, number][] };

describe.skipIf(NO_CONVERT)('ocr node (PaddleOCR through @gutenye/ocr-node)', () => {
  let tmp: string;
  let dataDir: string;
  let png: Buffer;
  let node: NodeInstance;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'beamline-ocr-'));
    dataDir = join(tmp, 'data');
    mkdirSync(join(dataDir, 'uploads'), { recursive: true });
    png = readFileSync(renderInvoice(join(tmp, 'invoice.png')));
    copyFileSync(join(tmp, 'invoice.png'), join(dataDir, 'uploads', 'invoice.png'));
    node = await ocr.setup(kind.config.parse({}), { ...nodeContext('ocr'), dataDir });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads the amount and the date of a rendered invoice from base64', async () => {
    const out = (await node.call({ image: png.toString('base64') }, callContext())) as { text: string; lines: Line[] };
    expect(out.text).toContain(SAMPLE_INVOICE.total);
    expect(out.text).toContain(SAMPLE_INVOICE.date);
    expect(out.text).toContain(`INVOICE #${SAMPLE_INVOICE.number}`);
    expect(out.text.split('\n')).toEqual(out.lines.map((l) => l.text));
    // Lines come top to bottom, each with a confident score and a four-corner box.
    expect(out.lines[0].text).toBe(`INVOICE #${SAMPLE_INVOICE.number}`);
    for (const l of out.lines) {
      expect(l.score).toBeGreaterThanOrEqual(0.5);
      expect(l.score).toBeLessThanOrEqual(1);
      expect(l.box).toHaveLength(4);
    }
    for (let i = 1; i < out.lines.length; i++) expect(out.lines[i].box[0][1]).toBeGreaterThanOrEqual(out.lines[i - 1].box[0][1]);
  });

  it('takes a data: URL and a path inside the data directory, and batches with one result per image', async () => {
    const url = `data:image/png;base64,${png.toString('base64')}`;
    const results = await node.batch!([{ image: url }, { image: 'uploads/invoice.png' }, { image: '../invoice.png' }], [callContext(), callContext(), callContext()]);
    expect((results[0] as { text: string }).text).toContain(SAMPLE_INVOICE.total);
    expect((results[1] as { text: string }).text).toContain(SAMPLE_INVOICE.date);
    expect(results[2]).toBeInstanceOf(Error);
    expect((results[2] as Error).message).toBe('input "image": path "../invoice.png" is outside the data directory');
  });

  it('refuses traversal, absolute paths outside the data directory and non-images, naming the field', async () => {
    for (const image of ['../../etc/passwd', '/etc/passwd', 'uploads/../../invoice.png']) {
      await expect(node.call({ image }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'image', message: expect.stringContaining('outside the data directory') });
    }
    writeFileSync(join(dataDir, 'notes.txt'), 'hello');
    await expect(node.call({ image: 'notes.txt' }, callContext())).rejects.toThrow('input "image": "notes.txt" is not a PNG, JPEG, GIF, WebP, TIFF or BMP image');
    await expect(node.call({ image: Buffer.from('x'.repeat(100)).toString('base64') }, callContext())).rejects.toThrow(/the base64 text is not a PNG/);
    await expect(node.call({ image: 'missing.png' }, callContext())).rejects.toThrow('input "image": no image file "missing.png" in the data directory');
    // A PNG signature over garbage, and a PNG cut in half: bad input, not a server fault.
    const corrupt = Buffer.concat([png.subarray(0, 8), Buffer.alloc(100, 7)]);
    await expect(node.call({ image: corrupt.toString('base64') }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'image', message: expect.stringContaining('cannot decode the image') });
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    await expect(node.call({ image: truncated.toString('base64') }, callContext())).rejects.toMatchObject({ name: 'NodeInputError', path: 'image' });
    await expect(node.call({ image: 12 }, callContext())).rejects.toMatchObject({ path: 'image' });
  });

  it('reads an image larger than the detection size, with boxes in the original pixels', async () => {
    const big = join(tmp, 'big.png');
    execFileSync(CONVERT, [join(tmp, 'invoice.png'), '-resize', '350%', big]);
    const small = (await node.call({ image: png.toString('base64') }, callContext())) as { lines: Line[] };
    const large = (await node.call({ image: readFileSync(big).toString('base64') }, callContext())) as { text: string; lines: Line[] };
    expect(large.text).toContain(SAMPLE_INVOICE.total);
    const total = (r: { lines: Line[] }) => r.lines.find((l) => l.text.includes(SAMPLE_INVOICE.total))!;
    const ratio = total(large).box[2][0] / total(small).box[2][0];
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(4);
  });

  it('minScore drops lines recognised with less confidence', async () => {
    const all = (await node.call({ image: png.toString('base64') }, callContext())) as { lines: Line[] };
    const threshold = Math.max(...all.lines.map((l) => l.score));
    const strict = await ocr.setup(kind.config.parse({ minScore: threshold }), { ...nodeContext('ocr'), dataDir });
    const some = (await strict.call({ image: png.toString('base64') }, callContext())) as { lines: Line[] };
    expect(some.lines.length).toBeGreaterThan(0);
    expect(some.lines.length).toBeLessThan(all.lines.length);
    for (const l of some.lines) expect(l.score).toBeGreaterThanOrEqual(threshold);
  });
});

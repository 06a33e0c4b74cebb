// Indexes the editor can build: upload files, ingest them with progress over
// socket.io, list, deploy a graph on them, and every refusal on the way. A real
// server on 127.0.0.1, real multipart uploads, real GloVe embeddings.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BeamlineServer, createServer } from '../../runtime/server/index.js';
import type { ClientToServerEvents, IndexInfo, IngestJob, ServerToClientEvents } from '../../shared/protocol.js';
import { until } from '../runtime/helpers.js';
import { connect, ragGraph, send, upload } from './helpers.js';

const PENGUINS = '# Penguins\n\nPenguins live in Antarctica. Penguins eat fish and krill, and they swim fast in cold water.\n';
const VOLCANOES = '# Volcanoes\n\nA volcano erupts lava and ash. Volcanoes form where the crust is thin and magma rises.\n';

let tmp: string;
let dataDir: string;
let outside: string;
let s: BeamlineServer;
let client: Socket<ServerToClientEvents, ClientToServerEvents>;
const events: IngestJob[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'beamline-indexes-'));
  dataDir = join(tmp, 'data');
  outside = join(tmp, 'outside');
  mkdirSync(outside);
  s = await createServer({ port: 0, host: '127.0.0.1', cpus: 8, gpus: 0, dataDir, bodyLimitBytes: 1024 * 1024, log: () => {} });
  client = await connect(s.url);
  client.on('ingest', (job) => events.push(job));
});
afterAll(async () => {
  client?.close();
  await s?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The ingest events of one job, once it has ended. */
async function jobEnd(id: string): Promise<IngestJob[]> {
  for (;;) {
    const mine = events.filter((e) => e.id === id);
    if (mine.some((e) => e.state !== 'queued' && e.state !== 'running')) return mine;
    await new Promise((r) => setTimeout(r, 20));
  }
}
const indexes = async (): Promise<IndexInfo[]> => (await send('GET', `${s.url}/api/indexes`)).body.indexes;
const ask = async (graph: string, query: string) => send('POST', `${s.url}/${graph}`, { query });

describe('upload, ingest with progress, list, deploy', () => {
  it('stores two uploaded Markdown files under <dataDir>/uploads/<index>', async () => {
    const r = await upload(`${s.url}/api/indexes/mine/files`, [
      { name: 'penguins.md', text: PENGUINS },
      { name: 'volcanoes.md', text: VOLCANOES },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ index: 'mine', files: [{ name: 'penguins.md', bytes: PENGUINS.length }, { name: 'volcanoes.md', bytes: VOLCANOES.length }] });
    expect(readFileSync(join(dataDir, 'uploads', 'mine', 'penguins.md'), 'utf8')).toBe(PENGUINS);
    expect((await send('GET', `${s.url}/api/indexes/mine/files`)).body.files.map((f: { name: string }) => f.name)).toEqual(['penguins.md', 'volcanoes.md']);
  });

  it('ingests them as a job whose progress reaches done over socket.io', async () => {
    const r = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:glove-100d' });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ index: 'mine', state: 'queued' });
    const seen = await jobEnd(r.body.id);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ state: 'done', phase: 'done' });
    expect(last.total).toBeGreaterThan(0);
    expect(last.done).toBe(last.total);
    expect(seen.map((e) => e.phase)).toEqual(expect.arrayContaining(['queued', 'reading', 'embedding', 'writing', 'done']));
    const embedding = seen.filter((e) => e.phase === 'embedding');
    expect(embedding.at(-1)).toMatchObject({ done: last.total, total: last.total });
    expect((await send('GET', `${s.url}/api/indexes/jobs/${r.body.id}`)).body).toMatchObject({ id: r.body.id, state: 'done', endedAt: expect.any(Number) });
  });

  it('lists the index with its chunks, documents, dimension and model', async () => {
    const mine = (await indexes()).find((i) => i.name === 'mine');
    expect(mine).toMatchObject({ name: 'mine', documents: 2, dim: 100, model: 'builtin:glove-100d', building: false });
    expect(mine!.chunks).toBeGreaterThanOrEqual(2);
    expect(mine!.bytes).toBeGreaterThan(mine!.chunks * 100 * 4);
  });

  it('deploys a RAG graph on it that answers citing an uploaded file', async () => {
    const g = ragGraph('mine-rag', 'mine');
    // Health checks are when a retriever looks for a rebuilt index: often, so the swap test below is quick.
    (g.nodes as { id: string; deployment: Record<string, unknown> }[]).find((n) => n.id === 'retrieve')!.deployment.healthCheckPeriodMs = 200;
    expect((await send('POST', `${s.url}/api/graphs`, g)).status).toBe(201);
    const r = await ask('mine-rag', 'What do penguins eat?');
    expect(r.status).toBe(200);
    expect(r.body.sources[0].source).toBe('penguins.md');
    expect(r.body.answer).toMatch(/krill/);
    expect((await ask('mine-rag', 'Where does magma rise?')).body.sources[0].source).toBe('volcanoes.md');
  });
});

describe('refused uploads', () => {
  it('413 names the body limit', async () => {
    const r = await upload(`${s.url}/api/indexes/big/files`, [{ name: 'big.txt', text: 'word '.repeat(300_000) }]);
    expect(r.status).toBe(413);
    expect(r.body.error).toMatch(/1 MB limit/);
    expect(existsSync(join(dataDir, 'uploads', 'big'))).toBe(false);
  });

  it.each([
    ['report.pdf', 'some text', /report\.pdf.*only \.md, \.txt, \.jsonl/],
    ['empty.md', '   \n\n', /empty\.md: has no text/],
    ['binary.txt', new Uint8Array([0xff, 0xfe, 0x00, 0x41]), /binary\.txt: not UTF-8 text/],
    ['bad.jsonl', '{"text": "ok"}\nnot json\n', /bad\.jsonl line 2: not valid JSON/],
    ['../escape.md', PENGUINS, /\.\.\/escape\.md.*"\.\." segments/],
    ['/tmp/abs.md', PENGUINS, /absolute path/],
    ['sub/dir.md', PENGUINS, /folders/],
  ])('%s: 400 naming the file, nothing written', async (name, text, message) => {
    const r = await upload(`${s.url}/api/indexes/refused/files`, [
      { name: 'fine.md', text: PENGUINS },
      { name, text },
    ]);
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
    expect(r.body.file).toBe(name);
    // All or nothing: the good file of the same upload is not kept either.
    expect(existsSync(join(dataDir, 'uploads', 'refused'))).toBe(false);
    expect(existsSync(join(tmp, 'escape.md'))).toBe(false);
    expect(existsSync(join(dataDir, 'escape.md'))).toBe(false);
    expect(existsSync(join(dataDir, 'uploads', 'escape.md'))).toBe(false);
  });

  it('a request that is not multipart, or has no file, is a 400 saying what to send', async () => {
    const json = await send('POST', `${s.url}/api/indexes/x/files`, { file: 'a.md' });
    expect(json.status).toBe(400);
    expect(json.body.error).toMatch(/multipart\/form-data/);
    const none = await fetch(`${s.url}/api/indexes/x/files`, { method: 'POST', body: new FormData() });
    expect(none.status).toBe(400);
    expect((await none.json()).error).toMatch(/no files/);
    const bad = await send('POST', `${s.url}/api/indexes/bad.name/ingest`, { embedder: 'builtin:glove-100d' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/index name "bad\.name"/);
  });

  it('a link in the uploads folder is replaced, never written through', async () => {
    const target = join(outside, 'victim.md');
    writeFileSync(target, 'untouched');
    symlinkSync(target, join(dataDir, 'uploads', 'mine', 'link.md'));
    const r = await upload(`${s.url}/api/indexes/mine/files`, [{ name: 'link.md', text: VOLCANOES }]);
    expect(r.status).toBe(200);
    expect(readFileSync(target, 'utf8')).toBe('untouched');
    expect(lstatSync(join(dataDir, 'uploads', 'mine', 'link.md')).isSymbolicLink()).toBe(false);
    rmSync(join(dataDir, 'uploads', 'mine', 'link.md'));
  });

  it('an index uploads folder that is a link out of the data directory is refused', async () => {
    symlinkSync(outside, join(dataDir, 'uploads', 'evil'));
    const r = await upload(`${s.url}/api/indexes/evil/files`, [{ name: 'a.md', text: PENGUINS }]);
    expect(r.status).toBe(409);
    expect(r.body.error).toMatch(/uploads\/evil.*not a plain folder/);
    expect(existsSync(join(outside, 'a.md'))).toBe(false);
  });
});

describe('ingest faults', () => {
  it('an embedder that does not exist is a 400 naming the field; nothing starts', async () => {
    const r = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:no-such-model' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ path: '$.embedder' });
    expect(r.body.error).toMatch(/no builtin model "no-such-model"/);
    const outsideDocs = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:glove-100d', docs: '../outside' });
    expect(outsideDocs.status).toBe(400);
    expect(outsideDocs.body).toMatchObject({ path: '$.docs' });
    const unknown = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:glove-100d', chunkSize: 'big' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/\$\.chunkSize/);
  });

  it('while an ingest runs, a second one and a delete get 409; a cancel stops it and the index is unchanged', async () => {
    const before = (await indexes()).find((i) => i.name === 'mine')!;
    // Thousands of chunks: the build is still embedding when the next requests arrive.
    mkdirSync(join(dataDir, 'large'));
    const words = ['penguin', 'volcano', 'river', 'mountain', 'forest', 'ocean', 'desert', 'city', 'bridge', 'garden'];
    const lines = Array.from({ length: 60_000 }, (_, i) => `The ${words[i % 10]} number ${i} is near the ${words[(i * 7) % 10]}.`);
    writeFileSync(join(dataDir, 'large', 'many.txt'), lines.join(' '));
    const body = { embedder: 'builtin:glove-100d', docs: 'large', chunkSize: 200, chunkOverlap: 0 };
    const started = await send('POST', `${s.url}/api/indexes/mine/ingest`, body);
    expect(started.status).toBe(202);
    const again = await send('POST', `${s.url}/api/indexes/mine/ingest`, body);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(new RegExp(`being built already \\(job ${started.body.id}\\)`));
    const del = await send('DELETE', `${s.url}/api/indexes/mine`);
    expect(del.status).toBe(409);
    expect(del.body.error).toMatch(/being built/);
    expect((await indexes()).find((i) => i.name === 'mine')?.building).toBe(true);
    const cancel = await send('POST', `${s.url}/api/indexes/jobs/${started.body.id}/cancel`);
    expect(cancel.status).toBe(200);
    const last = (await jobEnd(started.body.id)).at(-1)!;
    expect(last).toMatchObject({ state: 'cancelled', error: expect.stringMatching(/index mine is unchanged/) });
    expect((await indexes()).find((i) => i.name === 'mine')).toEqual(before);
    expect((await ask('mine-rag', 'What do penguins eat?')).body.sources[0].source).toBe('penguins.md');
  });

  it('an ingest that fails on a file mid-way leaves the previous index serving', async () => {
    const before = (await indexes()).find((i) => i.name === 'mine')!;
    const corpus = join(dataDir, 'broken');
    mkdirSync(corpus);
    writeFileSync(join(corpus, 'a.md'), VOLCANOES);
    writeFileSync(join(corpus, 'z.jsonl'), '{"text": "fine"}\n{"text": 3}\n');
    const r = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:glove-100d', docs: 'broken' });
    expect(r.status).toBe(202);
    const last = (await jobEnd(r.body.id)).at(-1)!;
    expect(last.state).toBe('failed');
    expect(last.error).toMatch(/z\.jsonl line 2.*index mine is unchanged/);
    expect((await indexes()).find((i) => i.name === 'mine')).toEqual(before);
    expect((await ask('mine-rag', 'What do penguins eat?')).body.sources[0].source).toBe('penguins.md');
  });

  it('a build cancelled after its last batch is not swapped in', async () => {
    const before = (await indexes()).find((i) => i.name === 'mine')!;
    writeFileSync(join(dataDir, 'broken', 'z.jsonl'), '{"text": "Penguins are birds."}\n');
    // Cancel at the first embedding step, from the same process: no race with the build.
    const off = s.workspace.jobs.onUpdate((job) => {
      if (job.index === 'mine' && job.phase === 'embedding') s.workspace.jobs.cancel(job.id);
    });
    const r = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:glove-100d', docs: 'broken' });
    const last = (await jobEnd(r.body.id)).at(-1)!;
    off();
    expect(last).toMatchObject({ state: 'cancelled', error: expect.stringMatching(/index mine is unchanged/) });
    expect((await indexes()).find((i) => i.name === 'mine')).toEqual(before);
    expect((await send('POST', `${s.url}/api/indexes/jobs/${r.body.id}/cancel`)).status).toBe(409);
  });

  it('a finished ingest is swapped into the graph already serving that index', async () => {
    const GLACIERS = '# Glaciers\n\nA glacier is a river of ice. Glaciers are made of snow pressed into ice over many years.\n';
    expect((await upload(`${s.url}/api/indexes/mine/files`, [{ name: 'glaciers.md', text: GLACIERS }])).status).toBe(200);
    const r = await send('POST', `${s.url}/api/indexes/mine/ingest`, { embedder: 'builtin:glove-100d' });
    expect((await jobEnd(r.body.id)).at(-1)!.state).toBe('done');
    expect((await indexes()).find((i) => i.name === 'mine')!.documents).toBe(3);
    const answer = await until(async () => {
      const a = await ask('mine-rag', 'What are glaciers made of?');
      return a.body.sources?.[0]?.source === 'glaciers.md' ? a : undefined;
    }, 'the rebuilt index to serve');
    expect(answer.body.answer).toMatch(/ice/);
  });

  it('a retriever behind another embedder than its index was built with is refused, naming both', async () => {
    const g = ragGraph('other-embedder', 'mine');
    const embed = (g.nodes as { id: string; config: Record<string, unknown> }[]).find((n) => n.id === 'embed')!;
    embed.config.model = 'vader-sentiment';
    const preview = await send('POST', `${s.url}/api/graphs/preview`, g);
    expect(preview.body.errors).toEqual([expect.objectContaining({ node: 'retrieve', path: '$.nodes[3].config.index' })]);
    const r = await send('POST', `${s.url}/api/graphs`, g);
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ node: 'retrieve', path: '$.nodes[3].config.index' });
    expect(r.body.errors[0].message).toMatch(/built with embedder builtin:glove-100d.*embeds queries with vader-sentiment/);
    expect((await send('GET', `${s.url}/api/graphs`)).body.graphs.map((x: { name: string }) => x.name)).not.toContain('other-embedder');
    // The same model named by its folder is the same model.
    embed.config.model = 'glove-100d';
    expect((await send('POST', `${s.url}/api/graphs/preview`, g)).body.errors).toEqual([]);
  });
});

describe('deploy builds missing indexes', () => {
  it("builds a retriever's missing index from its docs as a job with progress, then serves it", async () => {
    mkdirSync(join(dataDir, 'corpus'));
    writeFileSync(join(dataDir, 'corpus', 'penguins.md'), PENGUINS);
    writeFileSync(join(dataDir, 'corpus', 'volcanoes.md'), VOLCANOES);
    const g = ragGraph('built-on-deploy', 'fromdocs', 'corpus');
    const preview = await send('POST', `${s.url}/api/graphs/preview`, g);
    expect(preview.body.missingIndexes).toEqual([{ node: 'retrieve', index: 'fromdocs', docs: 'corpus' }]);
    const from = events.length;
    const r = await send('POST', `${s.url}/api/graphs`, g);
    expect(r.status).toBe(201);
    const built = events.slice(from).filter((e) => e.index === 'fromdocs');
    expect(built.at(-1)).toMatchObject({ state: 'done' });
    expect(built.some((e) => e.phase === 'embedding')).toBe(true);
    expect((await ask('built-on-deploy', 'Where does magma rise?')).body.sources[0].source).toBe('volcanoes.md');
  });

  it("a graph served from a folder: its docs there build on deploy, and an ingest naming the graph finds them", async () => {
    const project = join(tmp, 'project');
    mkdirSync(join(project, 'docs'), { recursive: true });
    writeFileSync(join(project, 'docs', 'penguins.md'), PENGUINS);
    const r = await s.deploy(ragGraph('project', 'projidx', 'docs'), project);
    expect(r.ok).toBe(true);
    expect((await indexes()).find((i) => i.name === 'projidx')).toMatchObject({ documents: 1, model: 'builtin:glove-100d' });
    const outside = await send('POST', `${s.url}/api/indexes/projidx/ingest`, { embedder: 'builtin:glove-100d', docs: 'docs' });
    expect(outside.status).toBe(400);
    expect(outside.body).toMatchObject({ path: '$.docs' });
    const again = await send('POST', `${s.url}/api/indexes/projidx/ingest`, { embedder: 'builtin:glove-100d', docs: 'docs', graph: 'project' });
    expect(again.status).toBe(202);
    expect((await jobEnd(again.body.id)).at(-1)!.state).toBe('done');
  });

  it('refuses a deploy whose missing index cannot be built, naming the node and its docs', async () => {
    mkdirSync(join(dataDir, 'emptydocs'));
    const r = await send('POST', `${s.url}/api/graphs`, ragGraph('no-text', 'nothing', 'emptydocs'));
    expect(r.status).toBe(400);
    expect(r.body.errors[0]).toMatchObject({ node: 'retrieve', path: '$.nodes[3].config.docs' });
    expect(r.body.errors[0].message).toMatch(/could not build index "nothing" from emptydocs: .*holds no \.md, \.txt or \.jsonl text/);
  });

  it('deletes an index and its uploads; a second delete is 404', async () => {
    expect((await send('DELETE', `${s.url}/api/indexes/fromdocs`)).status).toBe(200);
    expect((await indexes()).map((i) => i.name)).not.toContain('fromdocs');
    expect((await send('GET', `${s.url}/api/indexes/fromdocs`)).status).toBe(404);
    expect((await send('DELETE', `${s.url}/api/indexes/fromdocs`)).status).toBe(404);
  });
});

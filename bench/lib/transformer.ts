import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, encodeModel, floats, int64s, type Node, type Tensor } from '../../scripts/models/onnx-proto.js';
import { seededRandom } from '../../shared/random.js';

/**
 * A transformer-sized sentence encoder for benches whose cost should be the
 * model's, not the tokeniser's: token embeddings, `layers` blocks of
 * single-head self-attention (masked) and a ReLU feed-forward, each with a
 * residual and LayerNorm; out comes last_hidden_state [batch, seq, dim], which
 * the embedder node mean-pools. Weights are seeded random numbers: the bench
 * measures throughput, not meaning. It reuses the GloVe model's BERT-style
 * tokenizer files, so tokenisation is the same real work as the RAG embedder's.
 */
export interface TransformerShape {
  dim: number;
  ffn: number;
  layers: number;
}

export const MINI: TransformerShape = { dim: 256, ffn: 1024, layers: 4 };


function randomFloats(name: string, dims: number[], scale: number, next: () => number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (next() * 2 - 1) * scale;
  return floats(name, dims, data);
}

function constFloats(name: string, dims: number[], value: number): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return floats(name, dims, new Float32Array(n).fill(value));
}

export function transformerModel(vocab: number, s: TransformerShape, seed = 7): Uint8Array {
  const next = seededRandom(seed);
  const { dim, ffn } = s;
  const w = 1 / Math.sqrt(dim);
  const initializers: Tensor[] = [
    randomFloats('tok_emb', [vocab, dim], 0.5, next),
    int64s('axis_1', [1]),
    floats('neg_big', [], new Float32Array([-1e4])),
    floats('one', [], new Float32Array([1])),
    floats('attn_scale', [], new Float32Array([1 / Math.sqrt(dim)])),
  ];
  const nodes: Node[] = [
    { op: 'Gather', inputs: ['tok_emb', 'input_ids'], outputs: ['x0'], attrs: { axis: 0 } },
    // Padding keys get -1e4 before the softmax: [batch, 1, seq] broadcasts over the queries.
    { op: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], attrs: { to: DataType.FLOAT } },
    { op: 'Sub', inputs: ['one', 'maskf'], outputs: ['pad'] },
    { op: 'Mul', inputs: ['pad', 'neg_big'], outputs: ['bias2'] },
    { op: 'Unsqueeze', inputs: ['bias2', 'axis_1'], outputs: ['bias'] },
  ];
  let x = 'x0';
  for (let l = 0; l < s.layers; l++) {
    const p = (n: string) => `l${l}_${n}`;
    initializers.push(
      randomFloats(p('wq'), [dim, dim], w, next),
      randomFloats(p('wk'), [dim, dim], w, next),
      randomFloats(p('wv'), [dim, dim], w, next),
      randomFloats(p('wo'), [dim, dim], w, next),
      randomFloats(p('w1'), [dim, ffn], w, next),
      randomFloats(p('b1'), [ffn], 0.01, next),
      randomFloats(p('w2'), [ffn, dim], 1 / Math.sqrt(ffn), next),
      constFloats(p('ln1_g'), [dim], 1),
      constFloats(p('ln1_b'), [dim], 0),
      constFloats(p('ln2_g'), [dim], 1),
      constFloats(p('ln2_b'), [dim], 0),
    );
    nodes.push(
      { op: 'MatMul', inputs: [x, p('wq')], outputs: [p('q')] },
      { op: 'MatMul', inputs: [x, p('wk')], outputs: [p('k')] },
      { op: 'MatMul', inputs: [x, p('wv')], outputs: [p('v')] },
      { op: 'Transpose', inputs: [p('k')], outputs: [p('kt')], attrs: { perm: [0, 2, 1] } },
      { op: 'MatMul', inputs: [p('q'), p('kt')], outputs: [p('s0')] },
      { op: 'Mul', inputs: [p('s0'), 'attn_scale'], outputs: [p('s1')] },
      { op: 'Add', inputs: [p('s1'), 'bias'], outputs: [p('s2')] },
      { op: 'Softmax', inputs: [p('s2')], outputs: [p('a')], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: [p('a'), p('v')], outputs: [p('ctx')] },
      { op: 'MatMul', inputs: [p('ctx'), p('wo')], outputs: [p('o')] },
      { op: 'Add', inputs: [x, p('o')], outputs: [p('r1')] },
      { op: 'LayerNormalization', inputs: [p('r1'), p('ln1_g'), p('ln1_b')], outputs: [p('h')], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: [p('h'), p('w1')], outputs: [p('f0')] },
      { op: 'Add', inputs: [p('f0'), p('b1')], outputs: [p('f1')] },
      { op: 'Relu', inputs: [p('f1')], outputs: [p('f2')] },
      { op: 'MatMul', inputs: [p('f2'), p('w2')], outputs: [p('f3')] },
      { op: 'Add', inputs: [p('h'), p('f3')], outputs: [p('r2')] },
    );
    const out = l === s.layers - 1 ? 'last_hidden_state' : p('x');
    nodes.push({ op: 'LayerNormalization', inputs: [p('r2'), p('ln2_g'), p('ln2_b')], outputs: [out], attrs: { axis: -1 } });
    x = out;
  }
  return encodeModel({
    name: 'bench_transformer',
    doc: `Bench-only ${s.layers}-layer transformer encoder (dim ${dim}, ffn ${ffn}), seeded random weights.`,
    inputs: [
      { name: 'input_ids', type: DataType.INT64, shape: ['batch', 'seq'] },
      { name: 'attention_mask', type: DataType.INT64, shape: ['batch', 'seq'] },
    ],
    outputs: [{ name: 'last_hidden_state', type: DataType.FLOAT, shape: ['batch', 'seq', dim] }],
    initializers,
    nodes,
  });
}

/** Writes <dir>/model.onnx plus the GloVe folder's tokenizer files; returns the parameter count. */
export function writeTransformerFolder(dir: string, tokenizerFrom: string, shape: TransformerShape = MINI): number {
  mkdirSync(dir, { recursive: true });
  const vocab = Object.keys((JSON.parse(readFileSync(join(tokenizerFrom, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab).length;
  writeFileSync(join(dir, 'model.onnx'), transformerModel(vocab, shape));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt']) copyFileSync(join(tokenizerFrom, f), join(dir, f));
  return vocab * shape.dim + shape.layers * (4 * shape.dim * shape.dim + 2 * shape.dim * shape.ffn + shape.ffn + 4 * shape.dim);
}

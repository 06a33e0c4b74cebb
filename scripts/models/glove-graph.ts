import { DataType, encodeModel, floats, int64s } from './onnx-proto.js';

export interface Quantised {
  /** [rows, dim] int8. */
  q: Int8Array;
  /** One scale per row: value = q * scale. */
  scale: Float32Array;
  rows: number;
  dim: number;
}

/** int8 rows with one float scale per row (max |x| maps to 127); zero rows stay zero. */
export function quantiseRows(rows: (ArrayLike<number> | null)[], dim: number): Quantised {
  const q = new Int8Array(rows.length * dim);
  const scale = new Float32Array(rows.length);
  rows.forEach((row, r) => {
    if (!row) return;
    let max = 0;
    for (let d = 0; d < dim; d++) max = Math.max(max, Math.abs(row[d]));
    if (max === 0) return;
    scale[r] = max / 127;
    for (let d = 0; d < dim; d++) q[r * dim + d] = Math.round(row[d] / scale[r]);
  });
  return { q, scale, rows: rows.length, dim };
}

/**
 * Static sentence embedder: Gather int8 rows -> dequantise -> masked mean -> L2 norm.
 * Outputs last_hidden_state [batch, seq, dim] and sentence_embedding [batch, dim].
 */
export function gloveModel(w: Quantised, doc: string): Uint8Array {
  const ids = { name: 'input_ids', type: DataType.INT64, shape: ['batch', 'seq'] };
  const mask = { name: 'attention_mask', type: DataType.INT64, shape: ['batch', 'seq'] };
  return encodeModel({
    name: 'glove_embedder',
    doc,
    inputs: [ids, mask],
    outputs: [
      { name: 'last_hidden_state', type: DataType.FLOAT, shape: ['batch', 'seq', w.dim] },
      { name: 'sentence_embedding', type: DataType.FLOAT, shape: ['batch', w.dim] },
    ],
    initializers: [
      { name: 'vectors_int8', dims: [w.rows, w.dim], type: DataType.INT8, data: w.q },
      floats('row_scale', [w.rows, 1], w.scale),
      int64s('axis_seq', [1]),
      int64s('axis_last', [2]),
      floats('eps_count', [], [1e-9]),
      floats('eps_norm', [], [1e-12]),
    ],
    nodes: [
      { op: 'Gather', inputs: ['vectors_int8', 'input_ids'], outputs: ['q'], attrs: { axis: 0 } },
      { op: 'Cast', inputs: ['q'], outputs: ['qf'], attrs: { to: DataType.FLOAT } },
      { op: 'Gather', inputs: ['row_scale', 'input_ids'], outputs: ['scale'], attrs: { axis: 0 } },
      { op: 'Mul', inputs: ['qf', 'scale'], outputs: ['last_hidden_state'] },
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], attrs: { to: DataType.FLOAT } },
      { op: 'Unsqueeze', inputs: ['maskf', 'axis_last'], outputs: ['mask3'] },
      { op: 'Mul', inputs: ['last_hidden_state', 'mask3'], outputs: ['masked'] },
      { op: 'ReduceSum', inputs: ['masked', 'axis_seq'], outputs: ['summed'], attrs: { keepdims: 0 } },
      { op: 'ReduceSum', inputs: ['mask3', 'axis_seq'], outputs: ['count0'], attrs: { keepdims: 0 } },
      { op: 'Max', inputs: ['count0', 'eps_count'], outputs: ['count'] },
      { op: 'Div', inputs: ['summed', 'count'], outputs: ['mean'] },
      { op: 'Mul', inputs: ['mean', 'mean'], outputs: ['sq'] },
      { op: 'ReduceSum', inputs: ['sq', 'axis_seq'], outputs: ['sumsq'], attrs: { keepdims: 1 } },
      { op: 'Sqrt', inputs: ['sumsq'], outputs: ['norm0'] },
      { op: 'Max', inputs: ['norm0', 'eps_norm'], outputs: ['norm'] },
      { op: 'Div', inputs: ['mean', 'norm'], outputs: ['sentence_embedding'] },
    ],
  });
}

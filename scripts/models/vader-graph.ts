import { DataType, encodeModel, floats, int64s } from './onnx-proto.js';

/**
 * Bag-of-words VADER: s = sum of valences over masked tokens,
 * compound = s / sqrt(s^2 + 15) (VADER's normalisation), logits = [-compound, compound].
 */
export function vaderModel(valence: Float32Array, doc: string): Uint8Array {
  return encodeModel({
    name: 'vader_sentiment',
    doc,
    inputs: [
      { name: 'input_ids', type: DataType.INT64, shape: ['batch', 'seq'] },
      { name: 'attention_mask', type: DataType.INT64, shape: ['batch', 'seq'] },
    ],
    outputs: [
      { name: 'logits', type: DataType.FLOAT, shape: ['batch', 2] },
      { name: 'compound', type: DataType.FLOAT, shape: ['batch'] },
    ],
    initializers: [floats('valence', [valence.length], valence), int64s('axis_seq', [1]), floats('alpha', [], [15])],
    nodes: [
      { op: 'Gather', inputs: ['valence', 'input_ids'], outputs: ['v'], attrs: { axis: 0 } },
      { op: 'Cast', inputs: ['attention_mask'], outputs: ['maskf'], attrs: { to: DataType.FLOAT } },
      { op: 'Mul', inputs: ['v', 'maskf'], outputs: ['vm'] },
      { op: 'ReduceSum', inputs: ['vm', 'axis_seq'], outputs: ['s'], attrs: { keepdims: 0 } },
      { op: 'Mul', inputs: ['s', 's'], outputs: ['s2'] },
      { op: 'Add', inputs: ['s2', 'alpha'], outputs: ['s2a'] },
      { op: 'Sqrt', inputs: ['s2a'], outputs: ['den'] },
      { op: 'Div', inputs: ['s', 'den'], outputs: ['compound'] },
      { op: 'Neg', inputs: ['compound'], outputs: ['neg'] },
      { op: 'Unsqueeze', inputs: ['neg', 'axis_seq'], outputs: ['neg1'] },
      { op: 'Unsqueeze', inputs: ['compound', 'axis_seq'], outputs: ['pos1'] },
      { op: 'Concat', inputs: ['neg1', 'pos1'], outputs: ['logits'], attrs: { axis: 1 } },
    ],
  });
}

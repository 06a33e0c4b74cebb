/**
 * Entities from wink-nlp's English lite model with character offsets into the
 * input (wink reports token spans), plus small repairs of its known edges.
 */
import winkNLP, { type ItemEntity } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

export interface Entity {
  value: string;
  type: string;
  /** Character offsets into the input text, end exclusive. */
  start: number;
  end: number;
}

type Nlp = ReturnType<typeof winkNLP>;
let nlp: Nlp | undefined;

/** The model takes a moment to load; one copy per process is enough. */
function instance(): Nlp {
  nlp ??= winkNLP(model);
  return nlp;
}

const LEADING_WORDS = /^(?:by|on|until|till|before|after|from|since|at|in)\s+/i;
const TRAILING_PUNCT = /[.,;:!?)\]}'"]+$/;

export function winkEntities(text: string): Entity[] {
  const n = instance();
  const its = n.its;
  const doc = n.readDoc(text);
  // Token offsets: each token's text appears in order in the input.
  const values = doc.tokens().out(its.value) as string[];
  const starts: number[] = [];
  let cursor = 0;
  for (const v of values) {
    const at = text.indexOf(v, cursor);
    const s = at >= 0 ? at : cursor;
    starts.push(s);
    cursor = s + v.length;
  }
  const raw: Entity[] = [];
  doc.entities().each((e: ItemEntity) => {
    const [a, b] = e.out(its.span) as unknown as [number, number];
    const type = e.out(its.type) as string;
    const start = starts[a];
    const end = starts[b] + values[b].length;
    raw.push({ value: text.slice(start, end), type, start, end });
  });
  return repair(text, raw);
}

function repair(text: string, ents: Entity[]): Entity[] {
  const out: Entity[] = [];
  for (const e of ents) {
    let { start, end } = e;
    if (e.type === 'URL' || e.type === 'EMAIL') {
      const m = TRAILING_PUNCT.exec(text.slice(start, end));
      if (m) end -= m[0].length;
    }
    if (e.type === 'DATE' || e.type === 'TIME') {
      const m = LEADING_WORDS.exec(text.slice(start, end));
      if (m && m[0].length < end - start) start += m[0].length;
    }
    // "March 14" + ", 2025" -> one date: wink sometimes leaves the year as a number.
    const prev = out[out.length - 1];
    if (e.type === 'CARDINAL' && prev?.type === 'DATE' && /^,?\s*$/.test(text.slice(prev.end, start)) && /^[12]\d{3}$/.test(text.slice(start, end))) {
      prev.end = end;
      prev.value = text.slice(prev.start, end);
      continue;
    }
    out.push({ value: text.slice(start, end), type: e.type, start, end });
  }
  return out;
}

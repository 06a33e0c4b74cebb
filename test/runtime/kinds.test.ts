import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PY_PACKAGE_DIR, SHARED_MODULES } from '../../runtime/export/py-package.js';
import { BUILTIN_PARTS, builtinParts, exportTemplate } from '../../runtime/kinds.js';
import { INPUT_LIMIT_DEFAULTS } from '../../shared/catalog/input.js';
import { builtinCatalog } from '../../shared/catalog/index.js';

// A kind is declared once, in shared/catalog; runtime/kinds.ts gives it what serve runs and
// what export writes. Every catalog kind must have both, or say it has none (docs/nodes.md).

const kinds = builtinCatalog.list();
const pyDir = fileURLToPath(PY_PACKAGE_DIR);

/** The classes of each module of the Python package and their methods, read by Python's own parser. */
function pythonClasses(): Record<string, Record<string, string[]>> {
  const script = `
import ast, json, pathlib, sys
out = {}
for p in sorted(pathlib.Path(sys.argv[1]).glob("*.py")):
    tree = ast.parse(p.read_text())
    out[p.stem] = {c.name: [f.name for f in c.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))] for c in tree.body if isinstance(c, ast.ClassDef)}
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, pyDir], { encoding: 'utf8' }));
}

describe('every catalog kind has its parts in runtime/kinds.ts', () => {
  it('one entry per catalog kind, and none for a kind the catalog lacks', () => {
    expect(kinds.filter((k) => !builtinParts(k.kind)).map((k) => k.kind)).toEqual([]);
    expect(Object.keys(BUILTIN_PARTS).sort()).toEqual(kinds.map((k) => k.kind).sort());
    expect(builtinParts('toString')).toBeUndefined();
  });

  for (const k of kinds) {
    it(`${k.kind}: runs as its declaration says (${k.runsIn})`, async () => {
      const run = builtinParts(k.kind)!.run;
      if (k.runsIn === 'executor') {
        expect('inline' in run && typeof run.inline).toBe('function');
        return;
      }
      expect('load' in run).toBe(true);
      const impl = await (run as { load: () => Promise<{ kind: string; setup: unknown }> }).load();
      expect(impl.kind).toBe(k.kind);
      expect(typeof impl.setup).toBe('function');
    });
  }

  it('each kind exports as a Python class of the package, or says why not', () => {
    const classes = pythonClasses();
    const how = Object.fromEntries(
      kinds.map((k) => {
        const e = builtinParts(k.kind)!.export;
        if ('imported' in e) return [k.kind, 'written back into its own Ray application'];
        if ('refuse' in e) return [k.kind, `refused: ${e.refuse({ module: 'm.ts' })}`];
        const t = e.template;
        const methods = classes[t.module]?.[t.className];
        expect(methods, `${k.kind}: class ${t.className} in beamline_nodes/${t.module}.py`).toBeDefined();
        // What the generated deployments call: the constructor, call(), and batch() for a batching kind.
        expect(methods).toEqual(expect.arrayContaining(['__init__', 'call', ...(k.batchable ? ['batch'] : [])]));
        return [k.kind, `${t.module}.${t.className}`];
      }),
    );
    expect(how).toEqual({
      input: 'input.InputNode',
      output: 'output.OutputNode',
      switch: 'switch.SwitchNode',
      split: 'split.SplitNode',
      preprocessor: 'preprocessor.PreprocessorNode',
      embedder: 'embedder.EmbedderNode',
      retriever: 'retriever.RetrieverNode',
      reranker: 'reranker.RerankerNode',
      llm: 'llm.LlmNode',
      classifier: 'classifier.ClassifierNode',
      ner: 'ner.NerNode',
      ocr: 'ocr.OcrNode',
      custom: expect.stringMatching(/^refused: a custom node runs the JavaScript\/TypeScript module "m.ts", which Ray Serve cannot load/),
      'ray-deployment': 'written back into its own Ray application',
    });
  });

  it('the Python package holds the shared modules and one module per exported kind, nothing else', () => {
    const modules = kinds.flatMap((k) => exportTemplate(k.kind)?.module ?? []);
    const files = readdirSync(pyDir).filter((f) => f.endsWith('.py')).map((f) => f.replace(/\.py$/, ''));
    expect(files.sort()).toEqual([...SHARED_MODULES, ...modules].sort());
  });

  it("the Python input node's size bounds default to the catalog's", () => {
    const source = readFileSync(`${pyDir}/input.py`, 'utf8');
    const defaults = Object.fromEntries([...source.matchAll(/config\.get\("(max\w+)", (\d+)\)/g)].map((m) => [m[1], Number(m[2])]));
    // maxImagePixels is left to the OCR node's decoder in Python.
    const { maxImagePixels: _, ...expected } = INPUT_LIMIT_DEFAULTS;
    expect(defaults).toEqual(expected);
  });
});

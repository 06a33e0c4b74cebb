import type { FolderReport } from './layout.js';

const size = (n: number) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} B`);
const value = (v: { name: string; type: string; shape?: (number | string)[] }) => `${v.name} ${v.type} [${v.shape?.join(', ') ?? '?'}]`;

/** The report as the terminal shows it; the same facts as --json. */
export function formatReport(r: FolderReport): string {
  const lines = [`model folder ${r.dir}`, `  files: ${Object.entries(r.files).map(([f, n]) => `${f} (${size(n)})`).join(', ') || 'none'}`];
  if (r.onnx) {
    lines.push(
      `  model.onnx: ${r.onnx.opset ? `opset ${r.onnx.opset}, ` : ''}weights ${r.onnx.weights}, ${r.onnx.ops} nodes${r.onnx.producer ? `, from ${r.onnx.producer}` : ''}`,
      `    inputs:  ${r.onnx.inputs.map(value).join(', ')}`,
      `    outputs: ${r.onnx.outputs.map(value).join(', ')}`,
    );
  }
  if (r.tokenizer) {
    const t = r.tokenizer;
    lines.push(`  tokenizer: ${t.type}, ${t.size} ids, template ${t.template}${t.padToken ? `, pad ${t.padToken}` : ''}${t.modelMaxLength ? `, model_max_length ${t.modelMaxLength}` : ''}`);
  }
  const c = r.config;
  const cfg = [c.modelType && `model_type ${c.modelType}`, c.maxPositions && `max_position_embeddings ${c.maxPositions}`, c.vocabSize && `vocab_size ${c.vocabSize}`, c.labels && `id2label ${c.labels.join(', ')}`, c.problemType].filter(Boolean);
  if (cfg.length) lines.push(`  config.json: ${cfg.join(', ')}`);
  lines.push(`  maximum length: ${r.maxLength !== undefined ? `${r.maxLength} tokens (longer texts are cut and counted)` : 'not declared (the node config maxLength applies)'}`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  for (const f of r.fits) {
    lines.push(`  ${`${f.role}:`.padEnd(18)}${f.ok ? 'fits' : 'does not fit'}: ${f.ok ? f.summary : f.reason}`);
    if (!f.ok && f.fix) lines.push(`  ${''.padEnd(18)}fix: ${f.fix}`);
  }
  return lines.join('\n');
}


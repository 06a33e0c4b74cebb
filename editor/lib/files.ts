/** Browser file effects: download a graph, read a picked or dropped file. */
import type { Graph } from '../../shared/graph.js';

export function downloadGraph(graph: Graph): void {
  const blob = new Blob([`${JSON.stringify(graph, null, 2)}\n`], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${graph.name || 'graph'}.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Opens the file picker; resolves with the chosen file's text, or undefined when cancelled. */
export function pickFile(): Promise<{ name: string; text: string } | undefined> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    // Graph JSON, or a Ray Serve config / RayService to import.
    input.accept = '.json,application/json,.yaml,.yml';
    input.style.display = 'none';
    input.addEventListener('change', async () => {
      const f = input.files?.[0];
      input.remove();
      resolve(f ? { name: f.name, text: await f.text() } : undefined);
    });
    input.addEventListener('cancel', () => {
      input.remove();
      resolve(undefined);
    });
    document.body.append(input);
    input.click();
  });
}

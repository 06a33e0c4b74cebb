/**
 * Every command once: id, label, shortcut and what it does. The keyboard handler,
 * the menus and the command palette all read this list.
 */
import { compile } from '../../shared/compile.js';
import { formatError } from '../../shared/errors.js';
import { GraphSchema } from '../../shared/graph.js';
import { importServeConfig } from '../../shared/ray-import.js';
import { api } from '../api/client.js';
import { deploy } from '../api/live.js';
import { downloadGraph, pickFile } from '../lib/files.js';
import { canRedo, canUndo, redo, undo, useEditor } from './graph.js';

export type MenuName = 'File' | 'Edit' | 'View' | 'Run';
export interface Command {
  id: string;
  label: string;
  menu: MenuName;
  /** "Mod+Shift+Z" style; the first is shown in menus. */
  shortcuts?: string[];
  /** Left to the browser's copy/cut/paste events so the system clipboard works without permissions. */
  native?: boolean;
  enabled?: () => boolean;
  run: () => void | Promise<void>;
}

const st = () => useEditor.getState();
const hasSelection = () => st().nodes.some((n) => n.selected) || st().edges.some((e) => e.selected);

/** A Ray Serve config or KubeRay RayService (YAML) becomes a graph; warnings say what could not be recovered. */
function fromServeConfig(text: string, from: string): { doc?: unknown; warnings: string[] } {
  try {
    const r = importServeConfig(text);
    return { doc: r.graph, warnings: r.warnings };
  } catch (e) {
    st().notify(`${from} is not a Ray Serve config: ${(e as Error).message}`, 'error');
    return { warnings: [] };
  }
}

/** Loads graph JSON text (or a Ray Serve config / RayService YAML) into the editor, or says what is wrong with it. */
export function openText(text: string, from: string): boolean {
  let doc: unknown;
  let warnings: string[] = [];
  if (/\.ya?ml$/i.test(from)) {
    ({ doc, warnings } = fromServeConfig(text, from));
    if (doc === undefined) return false;
  } else {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      st().notify(`${from} is not JSON: ${(e as Error).message}`, 'error');
      return false;
    }
  }
  const parsed = GraphSchema.safeParse(doc);
  if (!parsed.success) {
    const r = compile(doc);
    const first = r.ok ? parsed.error.message : r.errors.slice(0, 3).map(formatError).join('; ');
    st().notify(`${from} is not a Beamline graph: ${first}`, 'error');
    return false;
  }
  st().load(parsed.data);
  st().notify(warnings.length ? `Opened ${from} as a graph; ${warnings.join('; ')}` : `Opened ${from}`, warnings.length ? 'info' : 'ok');
  return true;
}

export async function loadExample(name: string): Promise<void> {
  try {
    const g = await api.example(name);
    openText(JSON.stringify(g), `example ${name}`);
  } catch (e) {
    st().notify(`Could not load example ${name}: ${(e as Error).message}`, 'error');
  }
}

async function writeClipboard(text: string) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    st().notify('The browser refused clipboard access; use Ctrl+C instead', 'error');
  }
}

export const COMMANDS: Command[] = [
  { id: 'file.new', label: 'New graph', menu: 'File', shortcuts: ['Alt+N'], run: () => st().newGraph() },
  {
    id: 'file.open',
    label: 'Open file…',
    menu: 'File',
    shortcuts: ['Mod+O'],
    run: async () => {
      const f = await pickFile();
      if (f) openText(f.text, f.name);
    },
  },
  { id: 'file.save', label: 'Save / export JSON', menu: 'File', shortcuts: ['Mod+S'], run: () => downloadGraph(st().exportGraph()) },
  { id: 'file.examples', label: 'Load example…', menu: 'File', shortcuts: ['Mod+E'], run: () => st().set({ examplesOpen: true }) },
  { id: 'edit.undo', label: 'Undo', menu: 'Edit', shortcuts: ['Mod+Z'], enabled: canUndo, run: undo },
  { id: 'edit.redo', label: 'Redo', menu: 'Edit', shortcuts: ['Mod+Shift+Z', 'Mod+Y'], enabled: canRedo, run: redo },
  {
    id: 'edit.copy',
    label: 'Copy',
    menu: 'Edit',
    shortcuts: ['Mod+C'],
    native: true,
    enabled: hasSelection,
    run: async () => {
      const t = st().copySelection();
      if (t) await writeClipboard(t);
    },
  },
  {
    id: 'edit.cut',
    label: 'Cut',
    menu: 'Edit',
    shortcuts: ['Mod+X'],
    native: true,
    enabled: hasSelection,
    run: async () => {
      const t = st().copySelection();
      if (!t) return;
      await writeClipboard(t);
      st().deleteSelection();
    },
  },
  {
    id: 'edit.paste',
    label: 'Paste',
    menu: 'Edit',
    shortcuts: ['Mod+V'],
    native: true,
    run: async () => {
      try {
        st().paste(await navigator.clipboard.readText());
      } catch {
        st().notify('The browser refused clipboard access; use Ctrl+V instead', 'error');
      }
    },
  },
  { id: 'edit.duplicate', label: 'Duplicate', menu: 'Edit', shortcuts: ['Mod+D'], enabled: hasSelection, run: () => st().duplicate() },
  { id: 'edit.delete', label: 'Delete', menu: 'Edit', shortcuts: ['Delete', 'Backspace'], enabled: hasSelection, run: () => st().deleteSelection() },
  { id: 'edit.selectAll', label: 'Select all', menu: 'Edit', shortcuts: ['Mod+A'], run: () => st().selectAll() },
  {
    id: 'edit.quickAdd',
    label: 'Quick add node…',
    menu: 'Edit',
    shortcuts: ['Mod+K'],
    run: () => st().set({ quickAdd: st().pointer, commandPalette: false }),
  },
  { id: 'view.layout', label: 'Auto-layout', menu: 'View', shortcuts: ['Shift+L'], run: () => st().layout() },
  { id: 'view.fit', label: 'Fit view', menu: 'View', shortcuts: ['Shift+F'], run: () => st().flow?.fitView({ padding: 0.15, duration: 200 }) },
  { id: 'view.minimap', label: 'Toggle minimap', menu: 'View', shortcuts: ['Shift+M'], run: () => st().set({ minimap: !st().minimap }) },
  { id: 'view.commands', label: 'Command palette…', menu: 'View', shortcuts: ['Mod+Shift+P'], run: () => st().set({ commandPalette: true, quickAdd: null }) },
  { id: 'view.inspector', label: 'Show inspector', menu: 'View', shortcuts: ['Alt+1'], run: () => st().set({ panel: 'inspector' }) },
  { id: 'view.placement', label: 'Show placement preview', menu: 'View', shortcuts: ['Alt+2'], run: () => st().set({ panel: 'placement' }) },
  { id: 'view.console', label: 'Show test console', menu: 'View', shortcuts: ['Alt+3'], run: () => st().set({ panel: 'console' }) },
  {
    id: 'run.deploy',
    label: 'Deploy',
    menu: 'Run',
    shortcuts: ['Mod+Enter'],
    run: async () => {
      if (await deploy()) st().set({ panel: 'console' });
    },
  },
  {
    id: 'run.undeploy',
    label: 'Stop deployed graph',
    menu: 'Run',
    enabled: () => !!st().deployed,
    run: async () => {
      const name = st().deployed;
      if (!name) return;
      try {
        await api.remove(name);
        st().set({ deployed: null, status: null });
        st().notify(`Stopped ${name}`, 'ok');
      } catch (e) {
        st().notify(`Could not stop ${name}: ${(e as Error).message}`, 'error');
      }
    },
  },
];

export const commandById = (id: string) => COMMANDS.find((c) => c.id === id);

export function runCommand(id: string): void {
  const c = commandById(id);
  if (c && (c.enabled?.() ?? true)) void c.run();
}

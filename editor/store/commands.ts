/**
 * Every command once: id, label, shortcut and what it does. The keyboard handler,
 * the menus, the command palette, the right-click menus and the shortcut help sheet
 * all read this list.
 */
import { compile } from '../../shared/compile.js';
import { formatError } from '../../shared/errors.js';
import { type Graph, GraphSchema } from '../../shared/graph.js';
import { importServeConfig } from '../../shared/ray-import.js';
import { api } from '../api/client.js';
import { previewDeploy, stop } from '../api/live.js';
import { confirmDiscard } from '../api/workspace.js';
import { downloadGraph, pickFile } from '../lib/files.js';
import { formatShortcut, IS_MAC } from '../lib/shortcuts.js';
import { toggleTheme } from '../lib/theme.js';
import { FIT_VIEW } from '../lib/zoom.js';
import { canRedo, canUndo, redo, undo, useEditor } from './graph.js';

export type MenuName = 'File' | 'Edit' | 'View' | 'Run';
/** What a right-click menu is opened on. */
export type ContextTarget = 'pane' | 'node' | 'edge' | 'note' | 'group';
export interface Command {
  id: string;
  label: string;
  menu: MenuName;
  /** "Mod+Shift+Z" style; the first is shown in menus. */
  shortcuts?: string[];
  /** Left to the browser's copy/cut/paste events so the system clipboard works without permissions. */
  native?: boolean;
  enabled?: () => boolean;
  /** The right-click menus it appears in, in this list's order. */
  context?: ContextTarget[];
  run: () => void | Promise<void>;
}

const st = () => useEditor.getState();
const hasSelection = () => st().nodes.some((n) => n.selected) || st().edges.some((e) => e.selected) || st().notes.some((n) => n.selected) || st().selectedGroups.length > 0;
const nodeSelected = () => st().nodes.some((n) => n.selected);
/** Where a command that adds something puts it: where the right-click menu was opened, else at the pointer. */
const anchor = () => {
  const m = st().contextMenu;
  return m ? { x: m.x, y: m.y } : st().pointer;
};
const selectedMembers = () => new Set([...st().nodes, ...st().notes].filter((n) => n.selected).map((n) => n.id));
const inGroup = () => {
  const sel = selectedMembers();
  return st().groups.some((g) => g.nodes.some((k) => sel.has(k)) || (g.notes ?? []).some((k) => sel.has(`note:${k}`)));
};

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

/** Graph JSON text (or a Ray Serve config / RayService YAML) as a graph, or undefined after saying what is wrong with it. */
function parseGraphText(text: string, from: string): { graph: Graph; warnings: string[] } | undefined {
  let doc: unknown;
  let warnings: string[] = [];
  if (/\.ya?ml$/i.test(from)) {
    ({ doc, warnings } = fromServeConfig(text, from));
    if (doc === undefined) return undefined;
  } else {
    try {
      doc = JSON.parse(text);
    } catch (e) {
      st().notify(`${from} is not JSON: ${(e as Error).message}`, 'error');
      return undefined;
    }
  }
  const parsed = GraphSchema.safeParse(doc);
  if (!parsed.success) {
    const r = compile(doc);
    const first = r.ok ? parsed.error.message : r.errors.slice(0, 3).map(formatError).join('; ');
    st().notify(`${from} is not a Beamline graph: ${first}`, 'error');
    return undefined;
  }
  return { graph: parsed.data, warnings };
}

/** Loads graph text into the editor (asking first when there are unsaved edits), or says what is wrong with it. */
export async function openText(text: string, from: string, asked = false): Promise<boolean> {
  const r = parseGraphText(text, from);
  if (!r || (!asked && !(await confirmDiscard(`Opening ${from}`)))) return false;
  st().load(r.graph);
  st().showView('editor');
  st().notify(r.warnings.length ? `Opened ${from} as a graph; ${r.warnings.join('; ')}` : `Opened ${from}`, r.warnings.length ? 'info' : 'ok');
  return true;
}

export async function loadExample(name: string): Promise<void> {
  try {
    const g = await api.example(name);
    await openText(JSON.stringify(g), `example ${name}`);
  } catch (e) {
    st().notify(`Could not load example ${name}: ${(e as Error).message}`, 'error');
  }
}

/**
 * Copy, cut and paste, for both ways they arrive: the Edit and right-click menus (through
 * navigator.clipboard, which may ask for permission) and Mod+C/X/V, left to the browser's own
 * clipboard events (`native`) so the system clipboard works without one (clipboardEvent).
 */
function copyOut(cut: boolean, write: (text: string) => void): boolean {
  const text = st().copySelection();
  if (!text) return false;
  write(text);
  if (cut) st().deleteSelection();
  return true;
}
/** Pastes graph JSON at a screen point; the number of nodes pasted (0: the text was not a fragment). */
const pasteAt = (text: string, at: { x: number; y: number }) => st().paste(text, st().flow?.screenToFlowPosition(at));

const refused = (shortcut: string) => st().notify(`The browser refused clipboard access; use ${formatShortcut(shortcut, IS_MAC)} instead`, 'error');
const writeClipboard = (text: string) => navigator.clipboard.writeText(text).catch(() => refused('Mod+C'));

/** The browser's copy, cut and paste events (the page's; App.tsx leaves out those in text fields). */
export function clipboardEvent(e: ClipboardEvent): void {
  const data = e.clipboardData;
  if (!data) return;
  const done = e.type === 'paste' ? pasteAt(data.getData('text/plain'), st().pointer) > 0 : copyOut(e.type === 'cut', (t) => data.setData('text/plain', t));
  if (done) e.preventDefault();
}

export const COMMANDS: Command[] = [
  {
    id: 'file.new',
    label: 'New graph',
    menu: 'File',
    shortcuts: ['Alt+N'],
    run: async () => {
      if (!(await confirmDiscard('Starting a new graph'))) return;
      st().newGraph();
      st().showView('editor');
    },
  },
  {
    id: 'file.open',
    label: 'Open file…',
    menu: 'File',
    shortcuts: ['Mod+O'],
    run: async () => {
      if (!(await confirmDiscard('Opening a file'))) return;
      const f = await pickFile();
      // Already asked before the picker opened.
      if (f) await openText(f.text, f.name, true);
    },
  },
  {
    id: 'file.save',
    label: 'Save / export JSON',
    menu: 'File',
    shortcuts: ['Mod+S'],
    run: () => {
      const g = st().exportGraph();
      downloadGraph(g);
      st().markSaved(g);
    },
  },
  { id: 'file.examples', label: 'Load example…', menu: 'File', shortcuts: ['Mod+E'], run: () => st().openExamples(true) },
  { id: 'edit.undo', label: 'Undo', menu: 'Edit', shortcuts: ['Mod+Z'], enabled: canUndo, run: undo },
  { id: 'edit.redo', label: 'Redo', menu: 'Edit', shortcuts: ['Mod+Shift+Z', 'Mod+Y'], enabled: canRedo, run: redo },
  {
    id: 'edit.copy',
    label: 'Copy',
    menu: 'Edit',
    shortcuts: ['Mod+C'],
    native: true,
    enabled: nodeSelected,
    context: ['node'],
    run: () => void copyOut(false, writeClipboard),
  },
  {
    id: 'edit.cut',
    label: 'Cut',
    menu: 'Edit',
    shortcuts: ['Mod+X'],
    native: true,
    enabled: nodeSelected,
    context: ['node'],
    run: () => void copyOut(true, writeClipboard),
  },
  {
    id: 'edit.paste',
    label: 'Paste',
    menu: 'Edit',
    shortcuts: ['Mod+V'],
    native: true,
    context: ['pane'],
    run: async () => {
      const at = anchor();
      try {
        pasteAt(await navigator.clipboard.readText(), at);
      } catch {
        refused('Mod+V');
      }
    },
  },
  { id: 'edit.duplicate', label: 'Duplicate', menu: 'Edit', shortcuts: ['Mod+D'], enabled: nodeSelected, context: ['node'], run: () => st().duplicate() },
  { id: 'edit.delete', label: 'Delete', menu: 'Edit', shortcuts: ['Delete', 'Backspace'], enabled: hasSelection, context: ['node', 'edge', 'note', 'group'], run: () => st().deleteSelection() },
  { id: 'edit.selectAll', label: 'Select all', menu: 'Edit', shortcuts: ['Mod+A'], context: ['pane'], run: () => st().selectAll() },
  {
    id: 'edit.quickAdd',
    label: 'Quick add node…',
    menu: 'Edit',
    shortcuts: ['Mod+K'],
    context: ['pane'],
    run: () => st().openQuickAdd(anchor()),
  },
  {
    id: 'edit.note',
    label: 'Add note',
    menu: 'Edit',
    shortcuts: ['Shift+N'],
    context: ['pane'],
    run: () => {
      st().addNote(st().flow?.screenToFlowPosition(anchor()) ?? { x: 0, y: 0 });
    },
  },
  {
    id: 'edit.editNote',
    label: 'Edit note',
    menu: 'Edit',
    context: ['note'],
    enabled: () => st().notes.filter((n) => n.selected).length === 1,
    run: () => st().editNote(st().notes.find((n) => n.selected)?.id ?? null),
  },
  { id: 'edit.group', label: 'Group selection', menu: 'Edit', shortcuts: ['Mod+G'], context: ['node', 'note'], enabled: () => selectedMembers().size > 0, run: () => void st().groupSelection() },
  {
    id: 'edit.ungroup',
    label: 'Ungroup',
    menu: 'Edit',
    shortcuts: ['Mod+Shift+G'],
    context: ['group'],
    enabled: () => st().selectedGroups.length > 0 || inGroup(),
    run: () => st().ungroup(),
  },
  { id: 'edit.leaveGroup', label: 'Remove from group', menu: 'Edit', context: ['node', 'note'], enabled: inGroup, run: () => st().removeFromGroups() },
  {
    id: 'edit.collapseGroup',
    label: 'Collapse or expand group',
    menu: 'Edit',
    context: ['group'],
    enabled: () => st().selectedGroups.length > 0,
    run: () => {
      for (const g of st().selectedGroups) st().toggleGroup(g);
    },
  },
  { id: 'edit.find', label: 'Find node…', menu: 'Edit', shortcuts: ['Mod+F'], context: ['pane'], run: () => st().openFinder(true) },
  { id: 'view.layout', label: 'Auto-layout', menu: 'View', shortcuts: ['Shift+L'], context: ['pane'], run: () => st().layout() },
  { id: 'view.fit', label: 'Fit view', menu: 'View', shortcuts: ['Shift+F'], context: ['pane'], run: () => st().flow?.fitView({ ...FIT_VIEW, duration: 200 }) },
  { id: 'view.minimap', label: 'Toggle minimap', menu: 'View', shortcuts: ['Shift+M'], run: () => st().setMinimap(!st().minimap) },
  { id: 'view.help', label: 'Keyboard shortcuts', menu: 'View', shortcuts: ['?'], context: ['pane'], run: () => st().openHelp(true) },
  { id: 'view.palette', label: 'Show or hide the node palette', menu: 'View', shortcuts: ['Mod+B'], run: () => st().setPanes({ paletteOpen: !st().panes.paletteOpen }) },
  { id: 'view.side', label: 'Show or hide the side panel', menu: 'View', shortcuts: ['Mod+Alt+B'], run: () => st().setPanes({ sideOpen: !st().panes.sideOpen }) },
  { id: 'view.theme', label: 'Dark mode on or off', menu: 'View', run: () => st().setTheme(toggleTheme(st().theme, matchMedia('(prefers-color-scheme: dark)').matches)) },
  { id: 'view.themeSystem', label: "Follow the system's light or dark mode", menu: 'View', enabled: () => st().theme !== 'system', run: () => st().setTheme('system') },
  { id: 'view.commands', label: 'Command palette…', menu: 'View', shortcuts: ['Mod+Shift+P'], run: () => st().openCommandPalette(true) },
  { id: 'view.home', label: 'Deployments, examples and drafts', menu: 'View', shortcuts: ['Alt+H'], run: () => st().showView(st().view === 'home' ? 'editor' : 'home') },
  { id: 'view.inspector', label: 'Show inspector', menu: 'View', shortcuts: ['Alt+1'], context: ['node'], run: () => st().showPanel('inspector') },
  { id: 'view.placement', label: 'Show placement preview', menu: 'View', shortcuts: ['Alt+2'], run: () => st().showPanel('placement') },
  { id: 'view.console', label: 'Show test console', menu: 'View', shortcuts: ['Alt+3'], run: () => st().showPanel('console') },
  { id: 'view.indexes', label: 'Show indexes', menu: 'View', shortcuts: ['Alt+4'], run: () => st().showPanel('indexes') },
  { id: 'view.versions', label: 'Show versions', menu: 'View', shortcuts: ['Alt+5'], run: () => st().showPanel('versions') },
  { id: 'run.deploy', label: 'Deploy…', menu: 'Run', shortcuts: ['Mod+Enter'], run: () => previewDeploy() },
  {
    id: 'run.undeploy',
    label: 'Stop deployed graph',
    menu: 'Run',
    enabled: () => !!st().deployed,
    run: async () => {
      const name = st().deployed;
      if (name) await stop(name);
    },
  },
];

export const commandById = (id: string) => COMMANDS.find((c) => c.id === id);

/** A command's first shortcut as this keyboard labels it (formatShortcut), for text that names it; '' when it has none. */
export function commandKey(id: string): string {
  const s = commandById(id)?.shortcuts?.[0];
  return s ? formatShortcut(s, IS_MAC) : '';
}

export function runCommand(id: string): void {
  const c = commandById(id);
  if (c && (c.enabled?.() ?? true)) void c.run();
}

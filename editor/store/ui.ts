/** The UI slice: which view, panel and overlay is open, the notice line, dialogs. Never part of undo. */
import type { ReactFlowInstance } from '@xyflow/react';
import type { Graph } from '../../shared/graph.js';
import type { DeployPreview } from '../../shared/protocol.js';
import type { ShadowDiff } from '../../shared/release.js';
import type { Draft } from '../lib/drafts.js';
import type { NoticeCause } from '../lib/notices.js';
import type { PortEnd } from '../lib/quick-add.js';
import { clampPanes, defaultPanes, type Panes, PANES_KEY, parsePanes } from '../lib/panes.js';
import { parseThemeChoice, THEME_KEY, type ThemeChoice } from '../lib/theme.js';
import type { BEdge, BNode, Doc } from './doc.js';
import type { Get, SetState } from './types.js';

export type Panel = 'inspector' | 'placement' | 'console' | 'indexes' | 'versions';
/** `home`: the Deployments view over the canvas; `editor`: the canvas. */
export type View = 'home' | 'editor';
export interface Notice {
  text: string;
  tone: 'info' | 'error' | 'ok';
  at: number;
  /** What ends it besides time (lib/notices.ts), and the document it was about. */
  cause?: NoticeCause;
  doc?: Doc;
}

/** What was right-clicked: the canvas, a node, an edge, a note or a group, at a screen point. */
export interface ContextMenu {
  x: number;
  y: number;
  target: 'pane' | 'node' | 'edge' | 'note' | 'group';
  id?: string;
}

export type Dialog =
  /** Deploy: the preview while it loads (null), then what will change and what would stay PENDING. */
  | { kind: 'deploy'; graph: Graph; preview: DeployPreview | null; error?: string }
  /** A question with two answers, e.g. before dropping unsaved edits. */
  | { kind: 'confirm'; title: string; message: string; confirm: string; cancel: string; resolve(ok: boolean): void }
  /** One node's whole output. */
  | { kind: 'output'; title: string; value: unknown; omitted?: string }
  /** Two versions (or a version and the canvas) side by side. */
  | { kind: 'compare'; name: string; a: { label: string; graph: Graph }; b: { label: string; graph: Graph } }
  /** A mirrored request whose shadow answer differs: both answers side by side. */
  | { kind: 'shadow-diff'; graph: string; stableVersion: number; candidateVersion: number; diff: ShadowDiff };

export interface UiSlice {
  view: View;
  panel: Panel;
  /** Screen point where Mod+K opened the quick-add box, or null when closed. */
  quickAdd: { x: number; y: number } | null;
  /** Set when quick add was opened by dropping a connection on the canvas: only kinds that fit, connected on add. */
  quickAddFrom: PortEnd | null;
  contextMenu: ContextMenu | null;
  /** The find-a-node box (Mod+F) and the shortcut help sheet (?). */
  finder: boolean;
  help: boolean;
  commandPalette: boolean;
  examplesOpen: boolean;
  minimap: boolean;
  /** Where the mouse last was on the canvas (screen point): read by quick-add and paste, never rendered. */
  pointer: { x: number; y: number };
  notice: Notice | null;
  dialog: Dialog | null;
  /** A draft from an earlier visit, offered back until restored or dismissed. */
  draftOffer: Draft | null;
  /** The index the Indexes panel uploads into (a retriever's "upload" button sets it). */
  indexTarget: string | null;
  /** Files dropped on the page, waiting in the Indexes panel to be uploaded. */
  stagedFiles: File[];
  flow: ReactFlowInstance<BNode, BEdge> | null;
  /** Widths of the palette and the side panel and whether they are open, remembered per browser. */
  panes: Panes;
  /** Light, dark, or following the system; remembered per browser. */
  theme: ThemeChoice;

  showView(view: View): void;
  showPanel(panel: Panel): void;
  openQuickAdd(at: { x: number; y: number } | null, from?: PortEnd): void;
  openContextMenu(menu: ContextMenu | null): void;
  openFinder(open: boolean): void;
  openHelp(open: boolean): void;
  openCommandPalette(open: boolean): void;
  openExamples(open: boolean): void;
  setMinimap(on: boolean): void;
  /** Records the pointer without notifying subscribers (it changes on every mouse move and nothing draws it). */
  trackPointer(at: { x: number; y: number }): void;
  /** Shows a message in the toolbar; with a cause, it also goes when that cause is gone. */
  notify(text: string, tone?: Notice['tone'], cause?: NoticeCause): void;
  /** Clears the notice if it is still `notice` (a newer one stays). */
  clearNotice(notice: Notice): void;
  openDialog(dialog: Dialog): void;
  /** Closes the dialog; a confirm dialog is answered `ok` (false when closed any other way). */
  closeDialog(ok?: boolean): void;
  offerDraft(draft: Draft | null): void;
  targetIndex(name: string | null): void;
  /** Puts files in the Indexes panel's upload form (and opens it), optionally for one index. */
  stageFiles(files: File[], index?: string): void;
  setFlow(flow: ReactFlowInstance<BNode, BEdge>): void;
  setPanes(patch: Partial<Panes>): void;
  setTheme(theme: ThemeChoice): void;
}

/** localStorage, or nothing (the store also runs in Node for the unit tests). */
const storage = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);
const windowWidth = () => (typeof window === 'undefined' ? 1440 : window.innerWidth);
function remember(key: string, value: string | null) {
  try {
    if (value === null) storage()?.removeItem(key);
    else storage()?.setItem(key, value);
  } catch {
    // Private mode or a full quota: the choice lasts until the tab closes.
  }
}

export function createUiSlice(set: SetState, get: Get): UiSlice {
  return {
    view: 'editor',
    panel: 'inspector',
    quickAdd: null,
    quickAddFrom: null,
    contextMenu: null,
    finder: false,
    help: false,
    commandPalette: false,
    examplesOpen: false,
    minimap: true,
    pointer: { x: 0, y: 0 },
    notice: null,
    dialog: null,
    draftOffer: null,
    indexTarget: null,
    stagedFiles: [],
    flow: null,
    panes: clampPanes(parsePanes(storage()?.getItem(PANES_KEY) ?? null) ?? defaultPanes(windowWidth()), windowWidth()),
    theme: parseThemeChoice(storage()?.getItem(THEME_KEY) ?? null),

    showView: (view) => set({ view }),
    // Asking for a panel opens the side panel when it was collapsed.
    showPanel: (panel) => set({ panel, view: 'editor', ...(get().panes.sideOpen ? {} : { panes: { ...get().panes, sideOpen: true } }) }),
    openQuickAdd: (at, from) => set({ quickAdd: at, quickAddFrom: at ? (from ?? null) : null, commandPalette: false, finder: false, contextMenu: null }),
    openCommandPalette: (open) => set({ commandPalette: open, quickAdd: null, finder: false, contextMenu: null }),
    openContextMenu: (menu) => set({ contextMenu: menu }),
    openFinder: (open) => set({ finder: open, quickAdd: null, commandPalette: false, contextMenu: null }),
    openHelp: (open) => set({ help: open, contextMenu: null }),
    openExamples: (open) => set({ examplesOpen: open }),
    setMinimap: (on) => set({ minimap: on }),
    trackPointer: (at) => {
      get().pointer = at;
    },
    notify: (text, tone = 'info', cause) => {
      const { meta, nodes, edges, notes, groups } = get();
      set({ notice: { text, tone, at: Date.now(), ...(cause ? { cause, doc: { meta, nodes, edges, notes, groups } } : {}) } });
    },
    clearNotice: (notice) => {
      if (get().notice === notice) set({ notice: null });
    },
    openDialog: (dialog) => set({ dialog }),
    closeDialog: (ok = false) => {
      const d = get().dialog;
      set({ dialog: null });
      // A question closed without an answer (Escape, clicking outside) is a "no".
      if (d?.kind === 'confirm') d.resolve(ok);
    },
    offerDraft: (draft) => set({ draftOffer: draft }),
    targetIndex: (name) => set({ indexTarget: name }),
    stageFiles: (files, index) => set({ stagedFiles: files, panel: 'indexes', view: 'editor', ...(index ? { indexTarget: index } : {}) }),
    setFlow: (flow) => set({ flow }),
    setPanes: (patch) => {
      const panes = clampPanes({ ...get().panes, ...patch }, windowWidth());
      set({ panes });
      remember(PANES_KEY, JSON.stringify(panes));
    },
    setTheme: (theme) => {
      set({ theme });
      remember(THEME_KEY, theme === 'system' ? null : theme);
    },
  };
}

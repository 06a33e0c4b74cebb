import { useEffect } from 'react';
import { api } from './api/client.js';
import { startWorkspace } from './api/workspace.js';
import { Canvas } from './canvas/Canvas.js';
import { uploadProblem } from './lib/indexes.js';
import { paneColumns } from './lib/panes.js';
import { formatShortcut, IS_MAC, matchesShortcut } from './lib/shortcuts.js';
import { ContextMenu, Finder, HelpSheet, QuickAdd } from './panels/CanvasOverlays.js';
import { Console } from './panels/Console.js';
import { Dialogs } from './panels/Dialogs.js';
import { DraftBanner } from './panels/DraftBanner.js';
import { Examples } from './panels/Examples.js';
import { Home } from './panels/Home.js';
import { Indexes } from './panels/Indexes.js';
import { Inspector } from './panels/Inspector.js';
import { Palette } from './panels/Palette.js';
import { CollapseButton, CollapsedPane, PaneResizer, useShownPanes } from './panels/Panes.js';
import { Picker } from './panels/Picker.js';
import { Placement } from './panels/Placement.js';
import { useTheme } from './panels/ThemeToggle.js';
import { Toolbar } from './panels/Toolbar.js';
import { Versions } from './panels/Versions.js';
import { COMMANDS, clipboardEvent, openText, runCommand } from './store/commands.js';
import { type Panel, ReactFlowProvider, useEditor } from './store/graph.js';

const editable = (t: EventTarget | null) => t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName));

const CLIPBOARD_EVENTS = ['copy', 'cut', 'paste'] as const;

/** Keyboard shortcuts from the command registry; copy, cut and paste through the browser's own events (store/commands.ts). */
function useGlobalKeys() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // A dialog owns the keyboard while it is open (Escape closes it).
      if (editable(e.target) || useEditor.getState().dialog) return;
      for (const c of COMMANDS) {
        if (c.native || !c.shortcuts?.some((s) => matchesShortcut(e, s, IS_MAC))) continue;
        e.preventDefault();
        runCommand(c.id);
        return;
      }
    };
    const onClipboard = (e: ClipboardEvent) => {
      if (!editable(e.target)) clipboardEvent(e);
    };
    window.addEventListener('keydown', onKey);
    for (const type of CLIPBOARD_EVENTS) document.addEventListener(type, onClipboard);
    return () => {
      window.removeEventListener('keydown', onKey);
      for (const type of CLIPBOARD_EVENTS) document.removeEventListener(type, onClipboard);
    };
  }, []);
}

function Overlays() {
  const commandPalette = useEditor((s) => s.commandPalette);
  const examplesOpen = useEditor((s) => s.examplesOpen);
  return (
    <>
      <QuickAdd />
      <Finder />
      <HelpSheet />
      <ContextMenu />
      {commandPalette && (
        <Picker
          title="Run a command"
          items={COMMANDS.map((c) => ({ id: c.id, label: `${c.menu}: ${c.label}`, ...(c.shortcuts ? { hint: formatShortcut(c.shortcuts[0], IS_MAC) } : {}) }))}
          onClose={() => useEditor.getState().openCommandPalette(false)}
          onPick={(id) => {
            useEditor.getState().openCommandPalette(false);
            runCommand(id);
          }}
        />
      )}
      {examplesOpen && <Examples />}
      <Dialogs />
    </>
  );
}

const TABS: [Panel, string][] = [
  ['inspector', 'Inspector'],
  ['placement', 'Placement'],
  ['console', 'Console'],
  ['indexes', 'Indexes'],
  ['versions', 'Versions'],
];

function Side() {
  const panel = useEditor((s) => s.panel);
  return (
    <aside className="bl-side">
      <div role="tablist" className="bl-tabs">
        {TABS.map(([id, label]) => (
          <button key={id} type="button" role="tab" title={label} aria-selected={panel === id} className={panel === id ? 'active' : ''} onClick={() => useEditor.getState().showPanel(id)}>
            {label}
          </button>
        ))}
        <CollapseButton which="side" />
      </div>
      <div role="tabpanel" className="bl-side-body">
        {panel === 'inspector' && <Inspector />}
        {panel === 'placement' && <Placement />}
        {panel === 'console' && <Console />}
        {panel === 'indexes' && <Indexes />}
        {panel === 'versions' && <Versions />}
      </div>
    </aside>
  );
}

export function App() {
  useGlobalKeys();
  useTheme();
  const view = useEditor((s) => s.view);
  const panes = useShownPanes();
  useEffect(() => {
    // Custom kinds the runtime knows join the palette; without a runtime the built-ins remain.
    api.catalog().then(
      (kinds) => useEditor.getState().setRemoteKinds(kinds),
      () => {},
    );
    void startWorkspace();
  }, []);
  return (
    <ReactFlowProvider>
      <div
        className="bl-app"
        onDragOver={(e) => {
          if (e.dataTransfer.types.includes('Files')) e.preventDefault();
        }}
        onDrop={async (e) => {
          const all = [...e.dataTransfer.files];
          if (!all.length) return;
          e.preventDefault();
          // Documents go to the Indexes panel's upload form; anything else is opened as a graph.
          if (all.every((f) => !uploadProblem(f.name))) return useEditor.getState().stageFiles(all);
          const f = all[0];
          await openText(await f.text(), f.name);
        }}
      >
        <Toolbar />
        <DraftBanner />
        <div className="bl-body">
          <main className="bl-main" style={{ gridTemplateColumns: paneColumns(panes) }}>
            {panes.paletteOpen ? <Palette /> : <CollapsedPane which="palette" />}
            <Canvas />
            {panes.sideOpen ? <Side /> : <CollapsedPane which="side" />}
            <PaneResizer which="palette" />
            <PaneResizer which="side" />
          </main>
          {view === 'home' && <Home />}
        </div>
        <Overlays />
      </div>
    </ReactFlowProvider>
  );
}

import { type KeyboardEvent, useEffect, useRef } from 'react';
import { kindsFor } from '../lib/quick-add.js';
import { formatShortcut, IS_MAC } from '../lib/shortcuts.js';
import { COMMANDS, type MenuName, runCommand } from '../store/commands.js';
import { useEditor } from '../store/graph.js';
import { CommandMenuItem } from './CommandMenuItem.js';
import { Modal } from './Modal.js';
import { Picker } from './Picker.js';

const st = useEditor.getState;

/**
 * Quick add at a point (Mod+K, or the right-click menu). Opened by a connection dropped on
 * empty canvas, it lists only the kinds that can take (or give) that port's value, and the node
 * it adds is connected to that port.
 */
export function QuickAdd() {
  const at = useEditor((s) => s.quickAdd);
  const from = useEditor((s) => s.quickAddFrom);
  const kinds = useEditor((s) => s.kinds);
  if (!at) return null;
  const choices = from ? kindsFor(from, kinds, new Set(st().nodes.map((n) => n.data.kind))) : undefined;
  const items = choices
    ? choices.map((c) => ({ id: c.kind.kind, label: c.kind.title, hint: `${from?.side === 'source' ? 'into' : 'from'} ${c.port.name} (${c.port.type}) · ${c.kind.description}` }))
    : kinds.map((k) => ({ id: k.kind, label: k.title, hint: k.description }));
  const title = from ? `Add a node ${from.side === 'source' ? 'taking' : 'giving'} ${from.type} (${from.node}.${from.port})` : 'Add node';
  return (
    <Picker
      title={title}
      at={at}
      items={items}
      empty={from ? `No kind ${from.side === 'source' ? 'takes' : 'gives'} ${from.type}.` : undefined}
      onClose={() => st().openQuickAdd(null)}
      onPick={(kind) => {
        const s = st();
        const p = s.flow?.screenToFlowPosition(at) ?? { x: 0, y: 0 };
        const choice = choices?.find((c) => c.kind.kind === kind);
        s.openQuickAdd(null);
        if (from && choice) {
          // The new node sits beside the dropped end: to the right of an output, to the left of an input.
          const pos = from.side === 'source' ? { x: p.x + 16, y: p.y - 30 } : { x: p.x - 226, y: p.y - 30 };
          s.addConnected(kind, pos, from, choice.port.name);
        } else s.addNode(kind, p);
      }}
    />
  );
}

/** Mod+F: find a node (or note) by id, label or kind, then select it and bring it into view. */
export function Finder() {
  const open = useEditor((s) => s.finder);
  if (!open) return null;
  const s = st();
  const items = [
    ...s.nodes.map((n) => ({ id: n.id, label: n.data.label || n.id, hint: `${n.id} · ${s.kindMap[n.data.kind]?.title ?? n.data.kind}` })),
    ...s.notes.map((n) => ({ id: n.id, label: n.data.text.split('\n').find((l) => l.trim())?.replace(/^#+\s*/, '') || '(empty note)', hint: 'note' })),
  ];
  return (
    <Picker
      title="Find a node by id or label"
      items={items}
      empty="No node matches."
      onClose={() => st().openFinder(false)}
      onPick={(id) => {
        st().openFinder(false);
        st().reveal(id);
      }}
    />
  );
}

const MENU_ORDER: MenuName[] = ['File', 'Edit', 'View', 'Run'];

/** `?`: every command that has a shortcut, with its keys, from the command registry. */
export function HelpSheet() {
  const open = useEditor((s) => s.help);
  if (!open) return null;
  const keys = (c: (typeof COMMANDS)[number]) => (c.shortcuts ?? []).map((k) => formatShortcut(k, IS_MAC));
  return (
    <Modal label="Keyboard shortcuts" onClose={() => st().openHelp(false)} wide testId="help-sheet">
      <h2>Keyboard shortcuts</h2>
      <p className="bl-muted">
        Shortcuts work when the focus is not in a field. Every command, with or without a shortcut, is in the menus and the command palette; right-click the canvas, a node, an edge, a
        note or a group for the ones that apply there. Drag an edge's end to move it, or drop it on the canvas to remove it; drop a new connection on the canvas to add a node that takes it.
      </p>
      <div className="bl-help-grid">
        {MENU_ORDER.map((m) => (
          <section key={m} aria-label={m}>
            <h3>{m}</h3>
            <table className="bl-table compact">
              <tbody>
                {COMMANDS.filter((c) => c.menu === m && c.shortcuts?.length).map((c) => (
                  <tr key={c.id} data-command={c.id}>
                    <td>{c.label}</td>
                    <td className="bl-keys">
                      {keys(c).map((k, i) => (
                        <span key={k}>
                          {i > 0 && ' or '}
                          <kbd>{k}</kbd>
                        </span>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
    </Modal>
  );
}

/** Right-click menu on the canvas, a node, an edge, a note or a group: the registry's commands for that target. */
export function ContextMenu() {
  const menu = useEditor((s) => s.contextMenu);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (menu) ref.current?.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus({ preventScroll: true });
  }, [menu]);
  if (!menu) return null;
  const close = () => st().openContextMenu(null);
  const items = COMMANDS.filter((c) => c.context?.includes(menu.target));
  const onKey = (e: KeyboardEvent) => {
    const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button:not(:disabled)') ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') close();
    else if (e.key === 'ArrowDown') buttons[(i + 1) % buttons.length]?.focus();
    else if (e.key === 'ArrowUp') buttons[(i - 1 + buttons.length) % buttons.length]?.focus();
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  const style = { left: Math.min(menu.x, window.innerWidth - 260), top: Math.min(menu.y, window.innerHeight - 32 * items.length - 16) };
  return (
    <div
      className="bl-overlay bl-overlay-clear"
      onMouseDown={close}
      onContextMenu={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <div className="bl-menu-items bl-context-menu" role="menu" aria-label={`${menu.target} menu`} data-testid="context-menu" style={style} ref={ref} onKeyDown={onKey} onMouseDown={(e) => e.stopPropagation()}>
        {items.map((c) => (
          <CommandMenuItem
            key={c.id}
            command={c}
            onPick={() => {
              // Run first: a command that adds something reads where the menu was opened.
              runCommand(c.id);
              close();
            }}
          />
        ))}
      </div>
    </div>
  );
}

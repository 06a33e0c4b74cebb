import { formatShortcut, IS_MAC } from '../lib/shortcuts.js';
import type { Command } from '../store/commands.js';

/** One registry command as a menu item (toolbar menus and right-click menus): its label, its first shortcut. */
export function CommandMenuItem({ command: c, onPick }: { command: Command; onPick: () => void }) {
  return (
    <button type="button" role="menuitem" data-command={c.id} disabled={!(c.enabled?.() ?? true)} onClick={onPick}>
      <span>{c.label}</span>
      {c.shortcuts && <kbd>{formatShortcut(c.shortcuts[0], IS_MAC)}</kbd>}
    </button>
  );
}

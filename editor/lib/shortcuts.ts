/**
 * Shortcuts are written "Mod+Shift+Z": Mod is Cmd on macOS and Ctrl elsewhere.
 * Pure so the registry's matching is tested without a browser.
 */
/** The platform the editor runs on decides what Mod is (false outside a browser: the unit tests). */
export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export function matchesShortcut(e: KeyLike, shortcut: string, mac: boolean): boolean {
  const parts = shortcut.split('+');
  const key = parts.pop()!.toLowerCase();
  const want = new Set(parts.map((p) => p.toLowerCase()));
  const mod = mac ? e.metaKey : e.ctrlKey;
  if (want.has('mod') !== mod) return false;
  if (!want.has('mod') && (e.ctrlKey || e.metaKey)) return false;
  // A punctuation key such as "?" is typed with Shift on some layouts and without it on others:
  // Shift is ignored for it unless the shortcut names Shift.
  const symbol = key.length === 1 && !/[a-z0-9]/.test(key);
  if (want.has('shift') !== e.shiftKey && !(symbol && !want.has('shift'))) return false;
  if (want.has('alt') !== e.altKey) return false;
  return e.key.toLowerCase() === key;
}

/** "Mod+Shift+Z" as the user's keyboard labels it: Ctrl+Shift+Z or ⌘⇧Z. */
export function formatShortcut(shortcut: string, mac: boolean): string {
  if (!mac) return shortcut.replace('Mod', 'Ctrl');
  return shortcut
    .split('+')
    .map((p) => ({ Mod: '⌘', Shift: '⇧', Alt: '⌥' })[p] ?? p)
    .join('');
}

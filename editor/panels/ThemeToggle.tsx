import { useEffect } from 'react';
import { resolveTheme, type Theme, type ThemeChoice } from '../lib/theme.js';
import { commandById, runCommand } from '../store/commands.js';
import { useEditor } from '../store/graph.js';

const systemDark = () => typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches;

/** Puts the theme on <html> (theme.css keys its variables on data-theme). */
export function applyTheme(choice: ThemeChoice = useEditor.getState().theme): Theme {
  const theme = resolveTheme(choice, systemDark());
  document.documentElement.dataset.theme = theme;
  return theme;
}

/** Keeps <html> in the chosen theme, and in the system's while no choice is made (it may change at dusk). */
export function useTheme(): void {
  const choice = useEditor((s) => s.theme);
  useEffect(() => {
    applyTheme(choice);
    if (choice !== 'system' || typeof matchMedia !== 'function') return;
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const follow = () => applyTheme('system');
    mq.addEventListener('change', follow);
    return () => mq.removeEventListener('change', follow);
  }, [choice]);
}

/** The theme on screen: the choice, or the system's. */
export function useResolvedTheme(): Theme {
  const choice = useEditor((s) => s.theme);
  return resolveTheme(choice, systemDark());
}

/** Toolbar button: switches to the other theme and remembers it. */
export function ThemeToggle() {
  const theme = useResolvedTheme();
  const cmd = commandById('view.theme');
  return (
    <button
      type="button"
      className="bl-theme-toggle"
      data-testid="theme-toggle"
      aria-pressed={theme === 'dark'}
      aria-label={cmd?.label ?? 'Dark mode'}
      title={`${cmd?.label ?? 'Dark mode'} (now ${theme})`}
      onClick={() => runCommand('view.theme')}
    >
      {theme === 'dark' ? '☾' : '☀'}
    </button>
  );
}

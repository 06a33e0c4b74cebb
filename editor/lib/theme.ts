/**
 * Light and dark themes: the user's choice is remembered per browser; with none,
 * the editor follows the system's `prefers-color-scheme` (and its changes).
 */
export type Theme = 'light' | 'dark';
/** `system`: no choice made, follow the system. */
export type ThemeChoice = Theme | 'system';
export const THEME_KEY = 'beamline.theme';

export function parseThemeChoice(stored: string | null): ThemeChoice {
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export function resolveTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return choice === 'system' ? (systemDark ? 'dark' : 'light') : choice;
}

/** The toggle: the other theme than the one on screen, remembered from then on. */
export function toggleTheme(choice: ThemeChoice, systemDark: boolean): Theme {
  return resolveTheme(choice, systemDark) === 'dark' ? 'light' : 'dark';
}

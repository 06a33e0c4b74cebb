/**
 * WCAG 2 contrast of the editor's palette: the theme's CSS variables read from the
 * stylesheet, and the pairs of text on background the styles use, so a test can
 * check every pair in both themes (AA: 4.5:1 for text).
 */

export const AA_TEXT = 4.5;

/** `#rgb` or `#rrggbb` as 0–255 channels. */
export function parseHex(hex: string): [number, number, number] {
  const h = hex.trim().replace(/^#/, '');
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  if (!/^[0-9a-f]{6}$/i.test(full)) throw new Error(`not a hex colour: ${hex}`);
  return [0, 2, 4].map((i) => Number.parseInt(full.slice(i, i + 2), 16)) as [number, number, number];
}

/** `hsl(h s% l%)` as 0–255 channels. */
export function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** Relative luminance (WCAG 2). */
export function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(a: [number, number, number] | string, b: [number, number, number] | string): number {
  const la = luminance(typeof a === 'string' ? parseHex(a) : a);
  const lb = luminance(typeof b === 'string' ? parseHex(b) : b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** The custom properties (`--name: value`) declared in the first rule whose selector is `selector`. */
export function cssVariables(css: string, selector: string): Record<string, string> {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, '');
  const at = text.indexOf(`${selector} {`);
  if (at < 0) throw new Error(`no rule for ${selector}`);
  const body = text.slice(text.indexOf('{', at) + 1, text.indexOf('}', at));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) vars[m[1]] = m[2].trim();
  return vars;
}

/**
 * Text colour on background colour, as variable names: every pair the styles draw text
 * with. A rule that sets a text colour on a background uses one of these pairs.
 */
export const TEXT_PAIRS: [fg: string, bg: string][] = [
  ...['--bg', '--panel', '--panel-2', '--hover', '--selected', '--info-bg'].flatMap((bg): [string, string][] => [
    ['--text', bg],
    ['--muted', bg],
    ['--link', bg],
  ]),
  ...['--bad', '--ok', '--warn'].flatMap((fg): [string, string][] => [
    [fg, '--panel'],
    [fg, '--panel-2'],
    [fg, '--bg'],
  ]),
  ['--bad', '--bad-bg'],
  ['--on-accent', '--accent'],
  ['--on-accent', '--danger'],
  ['--ok-fg', '--ok-bg'],
  ['--warn-fg', '--warn-bg'],
  ['--warn-fg', '--pressure-bg'],
  ['--text', '--pressure-bg'],
  ['--muted', '--pressure-bg'],
  ['--bad-fg', '--bad-bg'],
  ['--badge-fg', '--badge-bg'],
  ...['--cat-io', '--cat-text', '--cat-models', '--cat-retrieval', '--cat-control', '--cat-custom'].flatMap((fg): [string, string][] => [
    [fg, '--panel'],
    [fg, '--pressure-bg'],
  ]),
  ...['--json-key', '--json-string', '--json-number', '--json-literal'].map((fg): [string, string] => [fg, '--panel-2']),
  ['--bar-fg', '--bar-bg'],
  ['--bar-fg', '--bar-hover'],
  ['--bar-bad', '--bar-bg'],
  ['--bar-ok', '--bar-bg'],
  ['--bar-warn', '--bar-bg'],
  ...['--chip', '--chip-ok', '--chip-warn', '--chip-bad', '--chip-info'].map((bg): [string, string] => ['--bar-fg', bg]),
  ['--code-fg', '--code-bg'],
];

/** Saturation and lightness of the replica bars in the placement preview: light hues, dark text (--span-fg) on them. */
export const REPLICA_SL = { s: 70, l: 78 } as const;

/** A replica bar's background: one hue per node id, so a node's replicas share a colour across GPUs. */
export function replicaColour(id: string): string {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h} ${REPLICA_SL.s}% ${REPLICA_SL.l}%)`;
}

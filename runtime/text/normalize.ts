export interface NormalizeOptions {
  normalize?: 'NFKC' | 'NFC' | 'none';
  lowercase?: boolean;
  collapseWhitespace?: boolean;
}

/** Unicode normalisation, case and whitespace, in that order (NFKC can produce spaces and capitals). */
export function normalizeText(text: string, opts: NormalizeOptions = {}): string {
  let out = text;
  const form = opts.normalize ?? 'NFKC';
  if (form !== 'none') out = out.normalize(form);
  if (opts.lowercase) out = out.toLowerCase();
  if (opts.collapseWhitespace ?? true) out = out.replace(/\s+/gu, ' ').trim();
  return out;
}

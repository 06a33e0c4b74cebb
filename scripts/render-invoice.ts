/**
 * Renders a small invoice image with Debian's ImageMagick (/usr/bin/convert, by
 * its full path: a `convert` elsewhere on PATH may be something else). Used by the
 * document-analysis example and its tests.
 *   node bin/tsx.js scripts/render-invoice.ts out.png
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CONVERT = '/usr/bin/convert';

export interface Invoice {
  number: string;
  date: string;
  company: string;
  customer: string;
  email: string;
  items: [string, string][];
  total: string;
}

export const SAMPLE_INVOICE: Invoice = {
  number: '1042',
  date: 'March 14, 2025',
  company: 'Acme Cloud Services',
  customer: 'Globex Corporation',
  email: 'billing@acme.com',
  items: [
    ['Inference serving', '$980.00'],
    ['Support plan', '$254.56'],
  ],
  total: '$1,234.56',
};

export function hasConvert(): boolean {
  return existsSync(CONVERT);
}

/** Writes a white PNG with the invoice's lines in black DejaVu Sans; returns the path. */
export function renderInvoice(out: string, inv: Invoice = SAMPLE_INVOICE): string {
  if (!hasConvert()) throw new Error(`${CONVERT} is missing: install ImageMagick with apt-get install imagemagick`);
  const lines: [number, string][] = [
    [34, `INVOICE #${inv.number}`],
    [24, inv.company],
    [24, `Date: ${inv.date}`],
    [24, `Bill to: ${inv.customer}`],
    ...inv.items.map(([what, amount]): [number, string] => [24, `${what}: ${amount}`]),
    [28, `Total due: ${inv.total}`],
    [22, `Questions? Write to ${inv.email}`],
  ];
  const args = ['-size', '900x500', 'xc:white', '-font', 'DejaVu-Sans', '-fill', 'black'];
  let y = 70;
  for (const [size, text] of lines) {
    args.push('-pointsize', String(size), '-annotate', `+50+${y}`, text);
    y += Math.round(size * 2);
  }
  execFileSync(CONVERT, [...args, out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2] ?? 'invoice.png';
  console.log(renderInvoice(out));
}

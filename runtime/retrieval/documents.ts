/** Reads a docs folder for ingest: .md, .txt and .jsonl files, in a stable order. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';

export interface SourceDocument {
  /** Path relative to the docs folder (with `#<line>` for a .jsonl line without its own source). */
  source: string;
  text: string;
}

export const DOCUMENT_EXTENSIONS = ['.md', '.txt', '.jsonl'];

/** Markdown markup that only adds noise to embeddings and answers; the words stay. */
export function markdownToText(md: string): string {
  return md
    .replace(/^```.*$/gm, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}#{1,6}\s+/gm, '')
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+/gm, '')
    .replace(/^\s*>\s?/gm, '')
    .replace(/(\*\*|__|`)/g, '');
}

/** Whitespace collapsed inside lines; single line breaks kept (they end headings and list items). */
export function tidyLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/[^\S\n]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...listFiles(path));
    else if (st.isFile() && DOCUMENT_EXTENSIONS.includes(extname(name).toLowerCase())) out.push(path);
  }
  return out;
}

export function readDocuments(docsDir: string): SourceDocument[] {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(docsDir);
  } catch {
    throw new Error(`docs folder ${docsDir} does not exist`);
  }
  if (!st.isDirectory()) throw new Error(`docs folder ${docsDir} is not a directory`);
  const docs: SourceDocument[] = [];
  for (const path of listFiles(docsDir)) {
    docs.push(...parseDocuments(relative(docsDir, path).split(sep).join('/'), readFileSync(path, 'utf8')));
  }
  return docs;
}

/** The documents one file holds (`rel` names it and picks the format by extension); empty texts are dropped. */
export function parseDocuments(rel: string, text: string): SourceDocument[] {
  const raw = text.replace(/\r\n?/g, '\n');
  const ext = extname(rel).toLowerCase();
  const docs = ext === '.jsonl' ? jsonlDocuments(raw, rel) : [{ source: rel, text: tidyLines(ext === '.md' ? markdownToText(raw) : raw) }];
  return docs.filter((d) => d.text.length > 0);
}

function jsonlDocuments(raw: string, rel: string): SourceDocument[] {
  const out: SourceDocument[] = [];
  raw.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new Error(`${rel} line ${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
    const rec = v as { text?: unknown; source?: unknown };
    if (typeof rec !== 'object' || rec === null || typeof rec.text !== 'string') {
      throw new Error(`${rel} line ${i + 1}: expected {"text": "...", "source"?: "..."}`);
    }
    if (rec.source !== undefined && typeof rec.source !== 'string') throw new Error(`${rel} line ${i + 1}: "source" must be a string`);
    out.push({ source: rec.source ?? `${rel}#${i + 1}`, text: tidyLines(rec.text) });
  });
  return out;
}

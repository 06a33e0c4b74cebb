import { readFileSync } from 'node:fs';
import { type CompileResult, compile } from '../../shared/compile.js';
import type { GraphError } from '../../shared/errors.js';

/** A file named on the command line (- is standard input), as text, or an error value saying why it cannot be read. */
export function readInputFile(file: string): { ok: true; text: string } | { ok: false; error: GraphError } {
  try {
    return { ok: true, text: readFileSync(file === '-' ? 0 : file, 'utf8') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    return { ok: false, error: { code: 'unreadable_file', path: '$', message: `cannot read ${file}: ${why}`, fix: 'check the path' } };
  }
}

/** JSON text -> value, or an error value with the parser's message. */
export function parseJsonText(text: string, file: string): { ok: true; value: unknown } | { ok: false; error: GraphError } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: { code: 'invalid_json', path: '$', message: `${file} is not valid JSON: ${(e as Error).message}`, fix: 'check the file is JSON' } };
  }
}

/** A graph file named on the command line, compiled; an unreadable file is one more compile error. */
export function compileFile(file: string): CompileResult {
  const read = readInputFile(file);
  return read.ok ? compile(read.text) : { ok: false, errors: [read.error] };
}

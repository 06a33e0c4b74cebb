import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/**
 * The containment check of the path guard (paths.ts), alone in a module with no
 * catalog behind it, so request-path code (inline image fields) loads without zod.
 */

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Where `value` points if it stays inside one of `roots`, or undefined. Relative
 * values resolve against the first root; symlinks are followed when the target
 * exists, so a link inside a root cannot point out of it.
 */
export function resolveInside(value: string, roots: readonly string[]): string | undefined {
  if (value.includes('\0') || roots.length === 0) return undefined;
  const absRoots = roots.map((r) => resolve(r));
  const target = isAbsolute(value) ? resolve(value) : resolve(absRoots[0], value);
  if (!absRoots.some((r) => inside(target, r))) return undefined;
  if (existsSync(target)) {
    const t = real(target);
    if (!absRoots.some((r) => inside(t, real(r)))) return undefined;
  }
  return target;
}

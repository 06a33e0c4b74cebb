import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compile } from '../../shared/compile.js';
import { baseGraph, mutatedGraph, randomDocument } from './arbitraries.js';

// The compiler is the control plane's first gate: it must turn any document into
// either a plan or errors that each name a JSON path (and a node where there is one).
function checkResult(doc: unknown): void {
  const r = compile(doc);
  if (r.ok) return;
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(e.path).toMatch(/^\$/);
    expect(typeof e.message).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
    if (e.node !== undefined) expect(typeof e.node).toBe('string');
  }
}

describe('compile under fuzzing', () => {
  it('the base graph compiles', () => {
    expect(compile(baseGraph()).ok).toBe(true);
  });

  it('mutated graphs give a plan or path-naming errors, never a throw', () => {
    fc.assert(fc.property(mutatedGraph('fuzz'), (doc) => checkResult(doc)), { numRuns: 400 });
  });

  it('random documents and their JSON text give path-naming errors, never a throw', () => {
    fc.assert(
      fc.property(randomDocument, (doc) => {
        checkResult(doc);
        checkResult(JSON.stringify(doc) ?? '');
      }),
      { numRuns: 300 },
    );
  });
});

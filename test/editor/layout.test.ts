import { describe, expect, it } from 'vitest';
import { autoLayout } from '../../editor/lib/layout.js';
import { getAt, errorsByField, setAt } from '../../editor/lib/paths.js';
import { formatShortcut, matchesShortcut } from '../../editor/lib/shortcuts.js';

describe('autoLayout', () => {
  it('lays a chain left to right and parallel branches one above the other', () => {
    const nodes = ['in', 'a', 'b', 'out'].map((id) => ({ id, width: 200, height: 80 }));
    const edges = [
      { source: 'in', target: 'a' },
      { source: 'in', target: 'b' },
      { source: 'a', target: 'out' },
      { source: 'b', target: 'out' },
    ];
    const p = autoLayout(nodes, edges);
    expect(p.get('in')!.x).toBeLessThan(p.get('a')!.x);
    expect(p.get('a')!.x).toBe(p.get('b')!.x);
    expect(p.get('a')!.y).not.toBe(p.get('b')!.y);
    expect(p.get('a')!.x).toBeLessThan(p.get('out')!.x);
    // Boxes of one rank do not overlap.
    expect(Math.abs(p.get('a')!.y - p.get('b')!.y)).toBeGreaterThanOrEqual(80);
  });

  it('ignores edges to missing nodes', () => {
    const p = autoLayout([{ id: 'x' }], [{ source: 'x', target: 'gone' }]);
    expect([...p.keys()]).toEqual(['x']);
  });
});

describe('paths', () => {
  it('sets, reads and removes nested fields without touching the original', () => {
    const d = { resources: { cpus: 2 } };
    const a = setAt(d, ['resources', 'gpus'], 0.5);
    expect(a).toEqual({ resources: { cpus: 2, gpus: 0.5 } });
    expect(d).toEqual({ resources: { cpus: 2 } });
    expect(getAt(a, ['resources', 'gpus'])).toBe(0.5);
    expect(setAt(setAt(a, ['resources', 'gpus'], undefined), ['resources', 'cpus'], undefined)).toEqual({});
    expect(setAt({}, ['batching'], null)).toEqual({ batching: null });
  });

  it('keys the compiler errors of one node by the field they name', () => {
    const m = errorsByField(
      [
        { code: 'gpu_not_whole', node: 'e', path: '$.nodes[1].deployment.resources.gpus', message: 'x' },
        { code: 'input_unconnected', node: 'e', path: '$.nodes[1]', message: 'y' },
        { code: 'invalid_config', node: 'e', path: '$.nodes[1].config.fields["my field"]', message: 'z' },
        { code: 'port_type_mismatch', node: 'e', path: '$.edges[0]', message: 'w' },
        { code: 'cycle', node: 'f', path: '$.nodes[10]', message: 'other node' },
      ],
      1,
      'e',
    );
    expect([...m.keys()]).toEqual(['deployment.resources.gpus', '', 'config.fields.my field']);
    expect(m.get('')!.map((x) => x.message)).toEqual(['y', 'w']);
  });
});

describe('shortcuts', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
  it('maps Mod to Ctrl, or to Cmd on macOS, and needs the exact modifiers', () => {
    expect(matchesShortcut(key('z', { ctrlKey: true }), 'Mod+Z', false)).toBe(true);
    expect(matchesShortcut(key('z', { metaKey: true }), 'Mod+Z', true)).toBe(true);
    expect(matchesShortcut(key('z', { metaKey: true }), 'Mod+Z', false)).toBe(false);
    expect(matchesShortcut(key('Z', { ctrlKey: true, shiftKey: true }), 'Mod+Z', false)).toBe(false);
    expect(matchesShortcut(key('Z', { ctrlKey: true, shiftKey: true }), 'Mod+Shift+Z', false)).toBe(true);
    expect(matchesShortcut(key('L', { shiftKey: true }), 'Shift+L', false)).toBe(true);
    expect(matchesShortcut(key('L', { shiftKey: true, ctrlKey: true }), 'Shift+L', false)).toBe(false);
    expect(matchesShortcut(key('Delete'), 'Delete', false)).toBe(true);
  });
  it('formats for the platform', () => {
    expect(formatShortcut('Mod+Shift+Z', false)).toBe('Ctrl+Shift+Z');
    expect(formatShortcut('Mod+Shift+Z', true)).toBe('⌘⇧Z');
  });
});

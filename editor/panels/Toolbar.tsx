import { useEffect, useRef } from 'react';
import { formatShortcut } from '../lib/shortcuts.js';
import { COMMANDS, type MenuName, runCommand } from '../store/commands.js';
import { useEditor } from '../store/graph.js';

export const IS_MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
const MENUS: MenuName[] = ['File', 'Edit', 'View', 'Run'];

function Menu({ name }: { name: MenuName }) {
  const ref = useRef<HTMLDetailsElement>(null);
  return (
    <details
      className="bl-menu"
      ref={ref}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        ref.current?.removeAttribute('open');
        ref.current?.querySelector('summary')?.focus();
      }}
    >
      <summary>{name}</summary>
      <div className="bl-menu-items" role="menu">
        {COMMANDS.filter((c) => c.menu === name).map((c) => (
          <button
            type="button"
            role="menuitem"
            key={c.id}
            data-command={c.id}
            disabled={!(c.enabled?.() ?? true)}
            onClick={() => {
              ref.current?.removeAttribute('open');
              runCommand(c.id);
            }}
          >
            <span>{c.label}</span>
            {c.shortcuts && <kbd>{formatShortcut(c.shortcuts[0], IS_MAC)}</kbd>}
          </button>
        ))}
      </div>
    </details>
  );
}

export function Toolbar() {
  const notice = useEditor((s) => s.notice);
  const name = useEditor((s) => s.meta.name);
  const errors = useEditor((s) => s.errors.length);
  const status = useEditor((s) => s.status);
  const deployed = useEditor((s) => s.deployed);
  const replicas = status ? Object.values(status.nodes).flatMap((n) => n.replicas) : [];
  const running = replicas.filter((r) => r.state === 'RUNNING').length;
  // Re-render menus when history changes so Undo/Redo enable correctly.
  useEditor((s) => s.nodes);
  useEffect(() => {
    if (!notice) return;
    const t = setTimeout(() => useEditor.setState((s) => (s.notice === notice ? { notice: null } : {})), notice.tone === 'error' ? 8000 : 4000);
    return () => clearTimeout(t);
  }, [notice]);
  return (
    <header className="bl-toolbar">
      <span className="bl-logo">Beamline</span>
      <nav aria-label="Menus">
        {MENUS.map((m) => (
          <Menu key={m} name={m} />
        ))}
      </nav>
      <span className="bl-title" data-testid="graph-name">
        {name}
      </span>
      <span className={errors ? 'bl-chip bad' : 'bl-chip ok'} data-testid="error-count">
        {errors ? `${errors} problem${errors > 1 ? 's' : ''}` : 'valid'}
      </span>
      {deployed && (
        <span className={`bl-chip state-${(status?.state ?? 'DEPLOYING').toLowerCase()}`} data-testid="graph-state">
          {deployed}: {status?.state ?? 'DEPLOYING'}
          {replicas.length > 0 && running < replicas.length && ` · ${running}/${replicas.length} replicas`}
        </span>
      )}
      <span className="bl-spacer" />
      <output className={`bl-notice ${notice?.tone ?? ''}`} data-testid="notice" aria-live="polite">
        {notice?.text}
      </output>
      <button type="button" className="bl-primary" onClick={() => runCommand('run.deploy')} title="Deploy (Ctrl+Enter)">
        Deploy
      </button>
    </header>
  );
}

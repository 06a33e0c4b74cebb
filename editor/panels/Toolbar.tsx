import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { noticeLifetime } from '../lib/notices.js';
import { COMMANDS, commandKey, type MenuName, runCommand } from '../store/commands.js';
import { healthOf, replicaCounts } from '../lib/deployments.js';
import { type Notice, useEditor } from '../store/graph.js';
import { CommandMenuItem } from './CommandMenuItem.js';
import { ReleaseChip } from './Release.js';
import { ThemeToggle } from './ThemeToggle.js';

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
          <CommandMenuItem
            key={c.id}
            command={c}
            onPick={() => {
              ref.current?.removeAttribute('open');
              runCommand(c.id);
            }}
          />
        ))}
      </div>
    </details>
  );
}

/**
 * The message line: two lines at most in the toolbar, the whole message on ⌄ (or in its tooltip).
 * It goes after a few seconds, when its cause is gone (lib/notices.ts), or when dismissed.
 */
function NoticeLine({ notice }: { notice: Notice | null }) {
  const [open, setOpen] = useState(false);
  const [cut, setCut] = useState(false);
  const text = useRef<HTMLOutputElement>(null);
  // A new message starts closed; ⌄ is offered only when two lines do not hold it.
  useLayoutEffect(() => {
    setOpen(false);
    const el = text.current;
    setCut(!!notice && !!el && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1));
  }, [notice]);
  return (
    <div className={`bl-notice ${notice?.tone ?? ''}${open ? ' open' : ''}${notice ? '' : ' empty'}`}>
      <output ref={text} data-testid="notice" aria-live="polite" title={notice && !open ? notice.text : undefined}>
        {notice?.text}
      </output>
      {notice && (
        <>
          {(cut || open) && (
            <button type="button" className="bl-notice-button" aria-expanded={open} aria-label={open ? 'show the message short' : 'show the whole message'} onClick={() => setOpen(!open)}>
              {open ? '⌃' : '⌄'}
            </button>
          )}
          <button type="button" className="bl-notice-button" aria-label="dismiss the message" onClick={() => useEditor.getState().clearNotice(notice)}>
            ×
          </button>
        </>
      )}
    </div>
  );
}

/** Which deployed version the canvas is attached to, its state (failing is not green), and whether the canvas differs. */
function DeployedChip() {
  const deployed = useEditor((s) => s.deployed);
  const status = useEditor((s) => s.status);
  const version = useEditor((s) => s.deployedVersion);
  const modified = useEditor((s) => s.modified);
  const summary = useEditor((s) => (s.deployed ? s.deployments?.find((d) => d.name === s.deployed) : undefined));
  if (!deployed) return null;
  const state = status?.state ?? summary?.state ?? 'DEPLOYING';
  const { running, total } = replicaCounts(status);
  const health = healthOf(state, summary);
  const failing = summary?.failing ?? [];
  return (
    <>
      <span
        className={`bl-chip health-${health}`}
        data-testid="graph-state"
        data-health={health}
        title={[...failing.map((f) => `${f.node}: ${f.reason}`), ...(summary?.pending ?? []).map((p) => `${p.replica} PENDING: ${p.reason}`)].join('\n') || undefined}
      >
        {deployed}: {state}
        {total > 0 && running < total && ` · ${running}/${total} replicas`}
        {failing.length > 0 && ` · failing (${failing.map((f) => f.node).join(', ')})`}
      </span>
      <span className={`bl-chip ${modified ? 'modified' : ''}`} data-testid="deployed-version">
        {version !== null ? `deployed v${version}` : 'deploying'}
        {modified && ' · modified'}
      </span>
      <ReleaseChip />
    </>
  );
}

export function Toolbar() {
  const notice = useEditor((s) => s.notice);
  const name = useEditor((s) => s.meta.name);
  const dirty = useEditor((s) => s.dirty);
  const errors = useEditor((s) => s.errors.length);
  const deployed = useEditor((s) => s.deployed);
  const view = useEditor((s) => s.view);
  // Re-render menus when history changes so Undo/Redo enable correctly.
  const empty = useEditor((s) => s.nodes).length === 0;
  useEffect(() => {
    if (!notice) return;
    const ms = noticeLifetime(notice.tone, notice.cause);
    if (ms === null) return;
    const t = setTimeout(() => useEditor.getState().clearNotice(notice), ms);
    return () => clearTimeout(t);
  }, [notice]);
  return (
    <header className="bl-toolbar">
      <span className="bl-logo">Beamline</span>
      <button type="button" className={`bl-home-button${view === 'home' ? ' active' : ''}`} aria-pressed={view === 'home'} data-testid="home-button" onClick={() => runCommand('view.home')} title="Deployments, examples and drafts (Alt+H)">
        Home
      </button>
      <nav aria-label="Menus">
        {MENUS.map((m) => (
          <Menu key={m} name={m} />
        ))}
      </nav>
      <span className="bl-title" data-testid="graph-name">
        {name}
      </span>
      {dirty && (
        <span className="bl-unsaved" data-testid="unsaved" title="Unsaved changes (kept as a draft in this browser)">
          ● unsaved
        </span>
      )}
      {/* An empty canvas has nothing to fix yet: no red chip for it. */}
      {!empty && (
        <span className={errors ? 'bl-chip bad' : 'bl-chip ok'} data-testid="error-count">
          {errors ? `${errors} problem${errors > 1 ? 's' : ''}` : 'valid'}
        </span>
      )}
      <DeployedChip />
      <span className="bl-spacer" />
      <NoticeLine notice={notice} />
      {deployed && (
        <button type="button" className="bl-secondary" onClick={() => runCommand('run.undeploy')} title={`Stop ${deployed}`}>
          Stop
        </button>
      )}
      <ThemeToggle />
      <button type="button" className="bl-primary" data-testid="deploy-button" onClick={() => runCommand('run.deploy')} title={`Deploy (${commandKey('run.deploy')})`}>
        Deploy
      </button>
    </header>
  );
}

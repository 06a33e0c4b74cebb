import { type KeyboardEvent, type PointerEvent, useSyncExternalStore } from 'react';
import { COLLAPSED_PX, clampPanes, type Panes } from '../lib/panes.js';
import { commandById, runCommand } from '../store/commands.js';
import { useEditor } from '../store/graph.js';

type Which = 'palette' | 'side';
const COMMAND: Record<Which, string> = { palette: 'view.palette', side: 'view.side' };
const NAME: Record<Which, string> = { palette: 'node palette', side: 'side panel' };

/** The button that collapses a panel (in its header). */
export function CollapseButton({ which }: { which: Which }) {
  return (
    <button type="button" className="bl-collapse" data-testid={`collapse-${which}`} aria-label={`Hide the ${NAME[which]}`} title={`Hide the ${NAME[which]} (${commandById(COMMAND[which])?.shortcuts?.[0] ?? ''})`} onClick={() => runCommand(COMMAND[which])}>
      {which === 'palette' ? '«' : '»'}
    </button>
  );
}

/** A collapsed panel: a narrow strip whose button opens it again. */
export function CollapsedPane({ which }: { which: Which }) {
  return (
    <aside className={`bl-collapsed bl-collapsed-${which}`} style={{ width: COLLAPSED_PX }}>
      <button type="button" data-testid={`expand-${which}`} aria-label={`Show the ${NAME[which]}`} title={`Show the ${NAME[which]}`} onClick={() => runCommand(COMMAND[which])}>
        <span aria-hidden>{which === 'palette' ? '»' : '«'}</span>
        <span className="bl-collapsed-label">{which === 'palette' ? 'Nodes' : 'Inspector'}</span>
      </button>
    </aside>
  );
}

/** The border between a panel and the canvas: drag it (or focus it and press the arrow keys) to resize the panel. */
export function PaneResizer({ which }: { which: Which }) {
  const panes = useShownPanes();
  if (!(which === 'palette' ? panes.paletteOpen : panes.sideOpen)) return null;
  const width = which === 'palette' ? panes.palette : panes.side;
  const resize = (w: number) => useEditor.getState().setPanes({ [which]: w });
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    e.preventDefault();
    const el = e.currentTarget;
    el.setPointerCapture(e.pointerId);
    const x0 = e.clientX;
    const w0 = width;
    // The palette grows to the right, the side panel to the left.
    const move = (m: globalThis.PointerEvent) => resize(w0 + (which === 'palette' ? m.clientX - x0 : x0 - m.clientX));
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
      el.removeEventListener('pointercancel', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
    el.addEventListener('pointercancel', up);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 64 : 16;
    const grow = which === 'palette' ? 'ArrowRight' : 'ArrowLeft';
    const shrink = which === 'palette' ? 'ArrowLeft' : 'ArrowRight';
    if (e.key === grow) resize(width + step);
    else if (e.key === shrink) resize(width - step);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a focusable splitter (role separator with a value) has no HTML element.
    <div
      className={`bl-resizer bl-resizer-${which}`}
      data-testid={`resize-${which}`}
      role="separator"
      aria-orientation="vertical"
      aria-label={`Resize the ${NAME[which]}`}
      aria-valuenow={width}
      tabIndex={0}
      style={which === 'palette' ? { left: width - 3 } : { right: width - 3 }}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}

const onResize = (cb: () => void) => {
  window.addEventListener('resize', cb);
  return () => window.removeEventListener('resize', cb);
};

/** The panels as shown: the remembered widths, narrowed while the window is too small for them and the canvas. */
export function useShownPanes(): Panes {
  const panes = useEditor((s) => s.panes);
  const width = useSyncExternalStore(onResize, () => window.innerWidth);
  return clampPanes(panes, width);
}

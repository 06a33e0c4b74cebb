import { useState } from 'react';
import { DRAG_MIME } from '../canvas/Canvas.js';
import { groupKinds } from '../lib/kinds.js';
import { useEditor } from '../store/graph.js';
import { CollapseButton } from './Panes.js';

/** Every kind of the catalog, grouped and searchable; drag onto the canvas, or Enter to add at the centre. */
export function Palette() {
  const kinds = useEditor((s) => s.kinds);
  const [q, setQ] = useState('');
  const groups = groupKinds(kinds, q);
  const addAtCentre = (kind: string) => {
    const s = useEditor.getState();
    const el = document.querySelector('.bl-canvas')?.getBoundingClientRect();
    const centre = s.flow && el ? s.flow.screenToFlowPosition({ x: el.left + el.width / 2, y: el.top + el.height / 2 }) : { x: 0, y: 0 };
    // Centred on the view (addNode moves it off any card it would cover), then brought into view if it landed outside.
    const id = s.addNode(kind, { x: centre.x - 105, y: centre.y - 50 });
    const n = id && useEditor.getState().nodes.find((x) => x.id === id);
    if (!n || !s.flow || !el) return;
    const tl = s.flow.flowToScreenPosition(n.position);
    const zoom = s.flow.getZoom();
    if (tl.x < el.left || tl.y < el.top || tl.x + 210 * zoom > el.right || tl.y + 100 * zoom > el.bottom) s.flow.setCenter(n.position.x + 105, n.position.y + 50, { zoom, duration: 200 });
  };
  return (
    <aside className="bl-palette" aria-label="Node palette">
      <div className="bl-palette-head">
        <label className="bl-search">
          <span className="sr-only">Search nodes</span>
          <input type="search" placeholder="Search nodes…" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search nodes" />
        </label>
        <CollapseButton which="palette" />
      </div>
      {groups.map((g) => (
        <section key={g.category}>
          <h3>{g.category}</h3>
          <ul>
            {g.kinds.map((k) => (
              <li key={k.kind}>
                <button
                  type="button"
                  className={`bl-palette-item bl-cat-${k.category}`}
                  draggable
                  data-kind={k.kind}
                  title={k.description}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_MIME, k.kind);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => addAtCentre(k.kind)}
                >
                  <strong>{k.title}</strong>
                  <small>{k.description}</small>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
      {groups.length === 0 && <p className="bl-muted">No node matches “{q}”.</p>}
    </aside>
  );
}

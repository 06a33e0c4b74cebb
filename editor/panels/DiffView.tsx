import type { GraphDiff } from '../../shared/protocol.js';

const show = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** What changes from one graph to another: nodes added and removed, changed fields (from → to), edges, graph fields. */
export function DiffView({ diff, from = 'before', to = 'after' }: { diff: GraphDiff; from?: string; to?: string }) {
  if (diff.same) return <p className="bl-muted">No differences.</p>;
  const changed = diff.changed.filter((c) => c.field !== 'position');
  const moved = diff.changed.filter((c) => c.field === 'position').map((c) => c.node);
  return (
    <div className="bl-diff" data-testid="diff">
      {diff.layoutOnly && <p className="bl-muted">Only positions, notes or groups differ: nothing that serves changes.</p>}
      {(diff.added.length > 0 || diff.removed.length > 0) && (
        <ul className="bl-diff-nodes">
          {diff.added.map((n) => (
            <li key={`+${n}`} className="add">
              + node <strong>{n}</strong>
            </li>
          ))}
          {diff.removed.map((n) => (
            <li key={`-${n}`} className="del">
              − node <strong>{n}</strong>
            </li>
          ))}
        </ul>
      )}
      {(changed.length > 0 || diff.graphFields.length > 0) && (
        <table className="bl-diff-table">
          <thead>
            <tr>
              <th>field</th>
              <th>{from}</th>
              <th>{to}</th>
            </tr>
          </thead>
          <tbody>
            {diff.graphFields.map((c) => (
              <tr key={`graph.${c.field}`}>
                <td>
                  graph <code>{c.field}</code>
                </td>
                <td className="del">{show(c.from)}</td>
                <td className="add">{show(c.to)}</td>
              </tr>
            ))}
            {changed.map((c) => (
              <tr key={`${c.node}.${c.field}`} data-change={`${c.node}.${c.field}`}>
                <td>
                  {c.node} <code>{c.field}</code>
                </td>
                <td className="del">{show(c.from)}</td>
                <td className="add">{show(c.to)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(diff.edgesAdded.length > 0 || diff.edgesRemoved.length > 0) && (
        <ul className="bl-diff-edges">
          {diff.edgesAdded.map((e) => (
            <li key={`+${e}`} className="add">
              + edge <code>{e}</code>
            </li>
          ))}
          {diff.edgesRemoved.map((e) => (
            <li key={`-${e}`} className="del">
              − edge <code>{e}</code>
            </li>
          ))}
        </ul>
      )}
      {moved.length > 0 && <p className="bl-muted">Moved: {moved.join(', ')}</p>}
    </div>
  );
}

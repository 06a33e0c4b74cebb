import { useMemo } from 'react';
import type { ReleaseStatus, ShadowDiff, ShadowFigures } from '../../shared/release.js';
import { releaseAction } from '../api/release.js';
import { formatMs } from '../lib/deployments.js';
import { decisionRows, fmtShare, jsonLines, outcomeText, releaseChip, releaseShown, shadowRows, stepMarks, windowRows } from '../lib/release.js';
import { useEditor } from '../store/graph.js';
import { Modal } from './Modal.js';

/** Stable and candidate as one bar: the candidate's share of traffic (canary) or of requests mirrored (shadow). */
function ShareBar({ r }: { r: ReleaseStatus }) {
  const canary = r.mode === 'canary';
  return (
    <div className="bl-release-share">
      {/* biome-ignore lint/a11y/useSemanticElements: a drawn bar in the theme's colours; <meter> is drawn by the browser */}
      <div className="bl-release-bar" role="meter" aria-label={canary ? `v${r.candidateVersion}'s share of traffic` : 'share of requests mirrored'} aria-valuemin={0} aria-valuemax={100} aria-valuenow={r.share} data-testid="release-share">
        <span style={{ width: `${r.share}%` }} />
      </div>
      <div className="bl-release-bar-labels">
        <span>
          {canary ? `v${r.stableVersion} stable ${fmtShare(100 - r.share)}` : `v${r.stableVersion} answers every request`}
        </span>
        <strong>{canary ? `v${r.candidateVersion} canary ${fmtShare(r.share)}` : `${fmtShare(r.share)} mirrored to v${r.candidateVersion}`}</strong>
      </div>
      {canary && (
        <ol className="bl-release-steps" aria-label="steps">
          {stepMarks(r).map((s) => (
            <li key={s.share} className={`at-${s.at}`}>
              {fmtShare(s.share)}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/** The current step's figures, stable and canary side by side; a canary figure past the policy is marked. */
function Window({ r }: { r: ReleaseStatus }) {
  if (!r.window) return null;
  const rows = windowRows(r.window, r.canary);
  return (
    <table className="bl-release-figures" data-testid="release-window">
      <caption>
        This step so far{r.canary ? ` (judged at ${r.canary.windowRequests} canary requests)` : ''}
      </caption>
      <thead>
        <tr>
          <th scope="col" />
          <th scope="col">v{r.stableVersion} stable</th>
          <th scope="col">v{r.candidateVersion} canary</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.label}>
            <th scope="row">{row.label}</th>
            <td>{row.stable}</td>
            <td className={row.over ? 'over' : undefined} title={row.over ? 'past the policy: the canary is rolled back on this when the step is judged' : undefined}>
              {row.candidate}
              {row.over && ' ⚠'}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Shadow({ r, f }: { r: ReleaseStatus; f: ShadowFigures }) {
  return (
    <>
      <table className="bl-release-figures" data-testid="release-shadow">
        <caption>Mirrored requests, compared{r.shadow?.tolerance ? ` within ${r.shadow.tolerance}` : ' exactly'}</caption>
        <tbody>
          {shadowRows(f).map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td className={row.tone ? `bl-tone-${row.tone}` : undefined}>{row.value}</td>
              <td className="bl-muted">{row.share}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="bl-release-figures">
        <caption>Latency of the compared requests</caption>
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col">v{r.stableVersion} stable</th>
            <th scope="col">v{r.candidateVersion} shadow</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">p50</th>
            <td>{formatMs(f.stable.p50Ms)}</td>
            <td>{formatMs(f.candidate.p50Ms)}</td>
          </tr>
          <tr>
            <th scope="row">p99</th>
            <td>{formatMs(f.stable.p99Ms)}</td>
            <td>{formatMs(f.candidate.p99Ms)}</td>
          </tr>
        </tbody>
      </table>
      <h4>Recent requests that differ</h4>
      {f.recentDiffs.length === 0 ? (
        <p className="bl-muted">None so far.</p>
      ) : (
        <ul className="bl-list bl-release-diffs" data-testid="release-diffs">
          {f.recentDiffs.map((d) => (
            <li key={d.requestId}>
              <button type="button" onClick={() => useEditor.getState().openDialog({ kind: 'shadow-diff', graph: r.graph, stableVersion: r.stableVersion, candidateVersion: r.candidateVersion, diff: d })}>
                <code>{d.where}</code> {d.candidateError ? <span className="bl-tone-bad">failed</span> : 'differs'}
                <small className="bl-help">
                  {new Date(d.at).toLocaleTimeString()} · stable {formatMs(d.stableMs)}, shadow {formatMs(d.candidateMs)}
                </small>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A release's decisions with their reasons and figures: newest first while it runs, in order in the version history. */
export function DecisionTimeline({ r, newestFirst = false }: { r: ReleaseStatus; newestFirst?: boolean }) {
  const rows = useMemo(() => decisionRows(r.decisions, r.mode), [r.decisions, r.mode]);
  return (
    <ol className="bl-release-timeline" data-testid={newestFirst ? 'release-decisions' : undefined}>
      {(newestFirst ? [...rows].reverse() : rows).map((d) => (
        <li key={d.key} data-action={d.action}>
          <div className="bl-release-decision-head">
            <time>{d.time}</time>
            <span className={`bl-tone-${d.tone}`}>{d.action}</span>
            <span>{d.share}</span>
            <small className="bl-muted">{d.by}</small>
          </div>
          <p>{d.reason}</p>
          {d.figures.map((line) => (
            <small key={line} className="bl-help">
              {line}
            </small>
          ))}
        </li>
      ))}
    </ol>
  );
}

/** The attached graph's canary or shadow release: share, live figures, decisions, and the person's controls. */
export function ReleaseView() {
  const r = useEditor((s) => s.release);
  const version = useEditor((s) => s.deployedVersion);
  if (!releaseShown(r, version)) return null;
  const running = r.state === 'running';
  const outcome = outcomeText(r);
  return (
    <section className="bl-release" data-testid="release" data-state={r.state} aria-label={`${r.mode} release`}>
      <h3>
        {r.mode === 'canary' ? 'Canary' : 'Shadow'} release: v{r.stableVersion} → v{r.candidateVersion}
        <span className={`bl-release-state bl-tone-${outcome.tone}`} data-testid="release-state">
          {running ? 'running' : r.state.replace('-', ' ')}
        </span>
      </h3>
      <ShareBar r={r} />
      {running && (
        <div className="bl-release-actions">
          <button type="button" className="bl-primary" onClick={() => void releaseAction('promote')} title={`v${r.candidateVersion} takes every request now`}>
            Promote
          </button>
          {r.mode === 'canary' && (
            <button type="button" className="bl-danger" onClick={() => void releaseAction('rollback')} title={`Every request back to v${r.stableVersion}`}>
              Roll back
            </button>
          )}
          <button type="button" onClick={() => void releaseAction('abort')} title={`Stop v${r.candidateVersion}; v${r.stableVersion} keeps serving`}>
            Abort
          </button>
        </div>
      )}
      {running && r.mode === 'canary' && <Window r={r} />}
      {r.mode === 'shadow' && r.shadowFigures && <Shadow r={r} f={r.shadowFigures} />}
      {r.replayed ? <p className="bl-muted">{r.replayed} failed canary requests were answered by v{r.stableVersion} instead.</p> : null}
      <h4>Decisions</h4>
      <DecisionTimeline r={r} newestFirst />
    </section>
  );
}

function JsonColumn({ label, value, where, testId }: { label: string; value: unknown; where: string; testId: string }) {
  const lines = useMemo(() => jsonLines(value, where), [value, where]);
  return (
    <div className="bl-compare-col bl-release-json-col" data-testid={testId}>
      <h3>{label}</h3>
      <pre className="bl-release-json">
        {lines.map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional and never reordered
          <div key={i} className={l.hit ? 'hit' : undefined} style={{ paddingLeft: `${l.indent * 2}ch` }}>
            {l.text}
          </div>
        ))}
      </pre>
    </div>
  );
}

/** One mirrored request whose answers differ: the input, then both answers side by side, the first difference marked. */
export function ShadowDiffView({ graph, stableVersion, candidateVersion, diff }: { graph: string; stableVersion: number; candidateVersion: number; diff: ShadowDiff }) {
  const close = () => useEditor.getState().closeDialog();
  return (
    <Modal label={`${graph}: a request the shadow answered differently`} onClose={close} wide testId="shadow-diff">
      <h2>
        {graph}: answers differ at <code>{diff.where}</code>
        <small className="bl-muted"> request {diff.requestId}</small>
      </h2>
      <h3>Input</h3>
      <pre className="bl-release-json">{JSON.stringify(diff.input, null, 2)}</pre>
      <div className="bl-compare">
        <JsonColumn label={`v${stableVersion} stable · ${formatMs(diff.stableMs)}`} value={diff.stable} where={diff.where} testId="shadow-diff-stable" />
        <JsonColumn
          label={`v${candidateVersion} shadow · ${formatMs(diff.candidateMs)}${diff.candidateError ? ' · failed' : ''}`}
          value={diff.candidateError ?? diff.candidate}
          where={diff.candidateError ? '$' : diff.where}
          testId="shadow-diff-candidate"
        />
      </div>
      <div className="bl-dialog-actions">
        <button type="button" className="bl-primary" onClick={close}>
          Close
        </button>
      </div>
    </Modal>
  );
}

/** The toolbar's "canary v7 · 50%": a release is running (or how the last one of the version serving ended); opens the Versions panel. */
export function ReleaseChip() {
  const r = useEditor((s) => s.release);
  const version = useEditor((s) => s.deployedVersion);
  const chip = releaseChip(r);
  if (!chip || !releaseShown(r, version)) return null;
  return (
    <button type="button" className={`bl-chip bl-release-chip health-${chip.tone}`} data-testid="release-chip" title={`${chip.text}: ${outcomeText(r).text}. Open the release in the Versions panel.`} onClick={() => useEditor.getState().showPanel('versions')}>
      <span className="bl-release-chip-long">{chip.text}</span>
      <span className="bl-release-chip-short">{chip.short}</span>
    </button>
  );
}

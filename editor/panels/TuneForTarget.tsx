import { useState } from 'react';
import type { Graph } from '../../shared/graph.js';
import type { ProfileJob, TuneResponse } from '../../shared/tune-api.js';
import { followProfile, ProfileNeeded, startProfile, tuneGraph } from '../api/tune.js';
import { checkTarget, ms, profileText, settingText, tunedDeployments } from '../lib/tune.js';
import { useEditor } from '../store/graph.js';

type Phase = { t: 'idle' } | { t: 'tuning' } | { t: 'needs-profile'; why: string } | { t: 'profiling'; job: ProfileJob } | { t: 'failed'; message: string };

/**
 * Placement → "Tune for a target": a rate and a p99 bound in, the tuner's settings per node out
 * (runtime/tune via POST /api/tune), profiling first when the server has no fresh profile of this
 * graph. `onProposal` hands the tuned graph to the packing view; Apply writes it as one undo step.
 */
export function TuneForTarget({ gpus, onProposal }: { gpus: number | undefined; onProposal: (g: Graph | undefined) => void }) {
  const [rate, setRate] = useState('20');
  const [p99, setP99] = useState('250');
  const [phase, setPhase] = useState<Phase>({ t: 'idle' });
  const [result, setResult] = useState<TuneResponse | undefined>();
  const [applied, setApplied] = useState<number | undefined>();
  const check = checkTarget(rate, p99);
  const busy = phase.t === 'tuning' || phase.t === 'profiling';

  const show = (r: TuneResponse | undefined) => {
    setResult(r);
    onProposal(r?.ok ? r.graph : undefined);
  };
  const run = async () => {
    if (!check.ok) return;
    setApplied(undefined);
    setPhase({ t: 'tuning' });
    try {
      show(await tuneGraph(useEditor.getState().exportGraph(), { qps: check.qps, p99Ms: check.p99Ms, ...(gpus !== undefined ? { gpus } : {}) }));
      setPhase({ t: 'idle' });
    } catch (e) {
      show(undefined);
      setPhase(e instanceof ProfileNeeded ? { t: 'needs-profile', why: e.message } : { t: 'failed', message: (e as Error).message });
    }
  };
  const profile = async () => {
    try {
      const job = await followProfile(await startProfile(useEditor.getState().exportGraph()), (j) => setPhase({ t: 'profiling', job: j }));
      if (job.state === 'done') await run();
      else setPhase({ t: 'failed', message: profileText(job) });
    } catch (e) {
      setPhase({ t: 'failed', message: (e as Error).message });
    }
  };
  const apply = () => {
    if (!result?.ok) return;
    const byId = tunedDeployments(result);
    useEditor.getState().applyDeployments(byId);
    setApplied(Object.keys(byId).length);
    show(undefined);
  };

  return (
    <section className="bl-tune" data-testid="tune">
      <h2>Tune for a target</h2>
      <form
        className="bl-tune-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label>
          Rate <input aria-label="target rate (requests/s)" inputMode="decimal" value={rate} onChange={(e) => setRate(e.target.value)} aria-invalid={!check.ok && check.field === 'rate'} /> req/s
        </label>
        <label>
          p99 ≤ <input aria-label="target p99 (ms)" inputMode="decimal" value={p99} onChange={(e) => setP99(e.target.value)} aria-invalid={!check.ok && check.field === 'p99'} /> ms
        </label>
        <button type="submit" disabled={busy || !check.ok}>
          {phase.t === 'tuning' ? 'Tuning…' : 'Tune'}
        </button>
      </form>
      {!check.ok && (
        <p className="bl-error" role="alert">
          {check.message}
        </p>
      )}
      {phase.t === 'needs-profile' && (
        <div className="bl-tune-note" data-testid="tune-needs-profile">
          <p>{phase.why}. Tuning needs this graph's service times, measured on the server's machine.</p>
          <button type="button" onClick={() => void profile()}>
            Profile
          </button>
        </div>
      )}
      {phase.t === 'profiling' && (
        <div className="bl-job" data-testid="tune-profiling">
          <p>{profileText(phase.job)}</p>
          <div className="bl-progress">
            <span style={{ width: `${phase.job.progress.total ? Math.round((100 * phase.job.progress.done) / phase.job.progress.total) : 0}%` }} />
          </div>
        </div>
      )}
      {phase.t === 'failed' && (
        <p className="bl-error" role="alert" data-testid="tune-error">
          {phase.message}
        </p>
      )}
      {applied !== undefined && (
        <p className="bl-muted" data-testid="tune-applied">
          Applied to {applied} node{applied === 1 ? '' : 's'}; undo (Ctrl+Z) restores them all.
        </p>
      )}
      {result && !result.ok && (
        <div className="bl-error" role="alert" data-testid="tune-unmet">
          <p>{result.reason.charAt(0).toUpperCase() + result.reason.slice(1)}</p>
          <p>
            Best reachable p99: {ms(result.bestP99Ms)}; throughput ceiling {Math.round(result.ceilingQps * 10) / 10} req/s. Lower the rate, raise the bound, or add GPUs/CPUs.
          </p>
        </div>
      )}
      {result?.ok && (
        <div data-testid="tune-result">
          <p>
            Predicted p50 {ms(result.prediction.p50Ms)}, p99 {ms(result.prediction.p99Ms)} at {result.target.qps} req/s (ceiling {Math.round(result.prediction.ceilingQps)} req/s) with {result.totals.replicas} replicas, {result.totals.cpus}{' '}
            CPUs, {result.totals.gpus} GPUs.
          </p>
          <table className="bl-table compact">
            <thead>
              <tr>
                <th>node</th>
                <th>setting</th>
                <th>p50</th>
                <th>p99</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(result.settings).map(([id, s]) => (
                <tr key={id} data-testid="tune-row">
                  <td>{id}</td>
                  <td>{settingText(s)}</td>
                  <td>{ms(result.prediction.nodes[id]?.p50Ms)}</td>
                  <td>{ms(result.prediction.nodes[id]?.p99Ms)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.binds.length > 0 && (
            <ul className="bl-muted" data-testid="tune-binds">
              {result.binds.map((b) => (
                <li key={`${b.node}-${b.resource}`}>
                  binds: <strong>{b.node}</strong> ({b.resource}): {b.why}
                </li>
              ))}
            </ul>
          )}
          <button type="button" onClick={apply}>
            Apply
          </button>{' '}
          <span className="bl-muted">The packing below shows these settings.</span>
        </div>
      )}
    </section>
  );
}

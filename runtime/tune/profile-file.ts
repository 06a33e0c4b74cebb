import { readFileSync } from 'node:fs';
import type { Plan } from '../../shared/plan.js';
import { type MachineInfo, PROFILE_FORMAT, PROFILE_VERSION, type Profile } from '../../shared/tuning.js';
import { TuneError } from './errors.js';
import { graphHash, machineDifferences } from './machine.js';

/** Where `profile` stores a graph's profile by default: beside it, graph.json -> graph.profile.json. */
export function profilePathFor(graphFile: string): string {
  return graphFile.endsWith('.json') ? `${graphFile.slice(0, -5)}.profile.json` : `${graphFile}.profile.json`;
}

/** A profile file, parsed and shape-checked; throws TuneError naming the file and what is wrong. */
export function readProfile(file: string): Profile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new TuneError(`cannot read profile ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'run `beamline profile <graph.json>` first, or pass --profile <file>');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new TuneError(`profile ${file} is not valid JSON: ${(e as Error).message}`, 'profile the graph again');
  }
  const p = doc as Partial<Profile>;
  if (!p || typeof p !== 'object' || p.format !== PROFILE_FORMAT) throw new TuneError(`${file} is not a Beamline profile (format is not "${PROFILE_FORMAT}")`, 'pass the file `beamline profile` wrote');
  if (p.version !== PROFILE_VERSION) throw new TuneError(`profile ${file} has version ${String(p.version)}; this build reads version ${PROFILE_VERSION}`, 'profile the graph again');
  if (!p.graph || typeof p.graph.hash !== 'string' || !p.machine || !p.nodes || typeof p.nodes !== 'object') throw new TuneError(`profile ${file} is incomplete (graph, machine or nodes missing)`, 'profile the graph again');
  for (const [id, n] of Object.entries(p.nodes)) {
    if (!Array.isArray(n.points)) throw new TuneError(`profile ${file}: node ${id} has no points`, 'profile the graph again');
  }
  return p as Profile;
}

/**
 * Why this profile cannot be used for this graph on this machine, or undefined when it can:
 * another graph, another version of it (kinds, configs or edges changed), or another machine.
 */
export function checkProfile(profile: Profile, plan: Plan, machine: MachineInfo): string | undefined {
  if (profile.graph.name !== plan.name) return `the profile is of graph "${profile.graph.name}", not "${plan.name}"; profile this graph (beamline profile)`;
  if (profile.graph.hash !== graphHash(plan)) {
    return `the profile was measured on another version of graph "${plan.name}" (its nodes' kinds, configs or edges changed since ${profile.measuredAt}); profile it again (beamline profile)`;
  }
  const diff = machineDifferences(profile.machine, machine);
  if (diff.length) return `the profile was measured on another machine (${diff.join('; ')}; profile vs this machine); profile on this machine, or pass --any-machine to use it anyway`;
  const missing = plan.order.filter((id) => plan.nodes[id].runsIn === 'replica' && !profile.nodes[id]);
  if (missing.length) return `the profile has no measurements for node ${missing.join(', ')}; profile the graph again`;
  return undefined;
}

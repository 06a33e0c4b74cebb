/**
 * Secrets (API keys of OpenAI-compatible backends, tokens) live in environment
 * variables that configs name (apiKeyEnv). They must never come back out through
 * the API, an export or a log line: this module finds their values and masks them.
 */

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (custom options, settings). */
const SECRET_KEY = /^(api[-_]?key|apikey|token|secret|password|passwd|authorization|auth[-_]?token|access[-_]?token|bearer|client[-_]?secret)$/i;
/** Config fields that name an environment variable holding a secret. */
const SECRET_ENV_FIELD = /(Env|_env)$/;

/** Too short to mask without mangling ordinary text. */
const MIN_SECRET_LENGTH = 4;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Values of the environment variables that a graph's configs name (apiKeyEnv,
 * tokenEnv, ...), plus any extra names (BEAMLINE_TOKEN).
 */
export function secretValues(graph: { nodes?: { config?: Record<string, unknown> }[] } | undefined, env: NodeJS.ProcessEnv = process.env, extraEnvNames: readonly string[] = []): string[] {
  const names = new Set(extraEnvNames);
  for (const n of graph?.nodes ?? []) {
    for (const [k, v] of Object.entries(n.config ?? {})) if (SECRET_ENV_FIELD.test(k) && typeof v === 'string') names.add(v);
  }
  const out: string[] = [];
  for (const name of names) {
    const v = env[name];
    if (v && v.length >= MIN_SECRET_LENGTH) out.push(v);
  }
  // Longest first, so a secret containing another is masked whole.
  return out.sort((a, b) => b.length - a.length);
}

/** Mask every occurrence of each secret in a text. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/**
 * A deep copy with secret-named keys masked and secret values masked inside
 * strings. Fields naming an env var (apiKeyEnv) are kept: a name is not a secret.
 */
export function redact<T>(value: T, secrets: readonly string[] = []): T {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (key !== undefined && isSecretKey(key) && v !== null && v !== undefined && v !== '') return REDACTED;
    if (typeof v === 'string') return redactText(v, secrets);
    if (Array.isArray(v)) return v.map((x) => walk(x, undefined));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, k);
      return out;
    }
    return v;
  };
  return walk(value, undefined) as T;
}

/** A log function that never prints a secret. */
export function redactingLog(log: (line: string) => void, secrets: () => readonly string[]): (line: string) => void {
  return (line) => log(redactText(line, secrets()));
}

/**
 * Every secret value this process has seen named by a deployed config (and the
 * server token). Error messages and logs that come back from replica threads are
 * scrubbed against it in one place (runtime/dataplane/replicas/replica.ts), so the HTTP
 * answer, the socket.io events and the log all get the masked text.
 */
const known = new Set<string>();
let sorted: string[] = [];

export function rememberSecrets(values: Iterable<string | undefined>): void {
  let added = false;
  for (const v of values) {
    if (v && v.length >= MIN_SECRET_LENGTH && !known.has(v)) {
      known.add(v);
      added = true;
    }
  }
  if (added) sorted = [...known].sort((a, b) => b.length - a.length);
}

export function knownSecrets(): readonly string[] {
  return sorted;
}

/** redactText against every remembered secret. */
export function scrub(text: string): string {
  return sorted.length === 0 ? text : redactText(text, sorted);
}

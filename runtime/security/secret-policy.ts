/**
 * Which environment variables a graph may name as secrets, and where their values
 * may be sent. A graph document comes from whoever can reach the control plane;
 * without this, `apiKeyEnv: "AWS_SECRET_ACCESS_KEY"` with a base URL of the
 * caller's choosing sends that variable's value to the caller. The policy comes
 * from the operator (flags or environment), never from a graph.
 *
 * Plain data, so it travels to replica threads, which check it again before they
 * read a variable (runtime/nodes/llm/openai.ts).
 */
export interface SecretPolicy {
  /** Names allowed besides the BEAMLINE_SECRET_ prefix (--allow-secret-env). */
  allowEnv: readonly string[];
  /** When any: the only base URLs a secret may be sent to (--secret-base-url), normalised. */
  baseUrls: readonly string[];
}

/** Variables with this prefix may be named without the operator listing them. */
export const SECRET_ENV_PREFIX = 'BEAMLINE_SECRET_';
export const ALLOW_SECRET_ENV = 'BEAMLINE_ALLOW_SECRET_ENV';
export const SECRET_BASE_URLS_ENV = 'BEAMLINE_SECRET_BASE_URLS';
/** Never sent anywhere, whatever the operator lists: it guards this server. */
const NEVER = new Set(['BEAMLINE_TOKEN']);

export const DEFAULT_SECRET_POLICY: SecretPolicy = { allowEnv: [], baseUrls: [] };

/** A policy value the operator got wrong; the CLI answers it with exit 2. */
export class SecretPolicyError extends Error {}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `a,b c` -> [a, b, c]: both flags and environment lists accept commas and spaces. */
function split(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
}

/**
 * scheme://host[:port]/path without a trailing slash, default port dropped,
 * dot segments resolved, host lower-cased; undefined when not an http(s) URL
 * without credentials.
 */
export function normalizeBaseUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username !== '' || u.password !== '') return undefined;
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The operator's policy: each list from its option when given, else from its
 * environment variable. Throws SecretPolicyError naming the flag for a bad value.
 */
export function secretPolicy(opts: { allowSecretEnv?: readonly string[]; secretBaseUrls?: readonly string[] }, env: NodeJS.ProcessEnv = process.env): SecretPolicy {
  const allowEnv = split(opts.allowSecretEnv ?? [env[ALLOW_SECRET_ENV] ?? '']);
  for (const name of allowEnv) {
    if (!ENV_NAME.test(name)) throw new SecretPolicyError(`--allow-secret-env ${JSON.stringify(name)}: not an environment variable name (letters, digits and _)`);
    if (NEVER.has(name)) throw new SecretPolicyError(`--allow-secret-env ${name}: the server's own token is never sent to a backend`);
  }
  const baseUrls = split(opts.secretBaseUrls ?? [env[SECRET_BASE_URLS_ENV] ?? '']).map((url) => {
    if (/[?#]/.test(url)) throw new SecretPolicyError(`--secret-base-url ${url}: give scheme, host, port and path only (no query or fragment)`);
    const n = normalizeBaseUrl(url);
    if (n === undefined) throw new SecretPolicyError(`--secret-base-url ${url}: not an http(s) URL without credentials`);
    return n;
  });
  return { allowEnv: [...new Set(allowEnv)], baseUrls: [...new Set(baseUrls)] };
}

export function envAllowed(name: string, policy: SecretPolicy): boolean {
  if (NEVER.has(name)) return false;
  return name.startsWith(SECRET_ENV_PREFIX) || policy.allowEnv.includes(name);
}

/** True when no base URL is pinned, or `url` is one of them or under one (whole path segments). */
export function baseUrlAllowed(url: string, policy: SecretPolicy): boolean {
  if (policy.baseUrls.length === 0) return true;
  const n = normalizeBaseUrl(url);
  if (n === undefined) return false;
  return policy.baseUrls.some((pin) => n === pin || n.startsWith(`${pin}/`));
}

/** Why `name` may not be read, or undefined; one wording for deploy and the replica. */
export function envRefusal(name: string, policy: SecretPolicy): string | undefined {
  if (envAllowed(name, policy)) return undefined;
  return NEVER.has(name)
    ? `environment variable ${name} is the server's own token and is never sent to a backend`
    : `environment variable ${name} is not allowed as a secret on this server`;
}

export const ENV_FIX = `name a variable starting with ${SECRET_ENV_PREFIX}, or the operator allows this one with \`beamline serve --allow-secret-env NAME\` (or ${ALLOW_SECRET_ENV})`;

export function baseUrlRefusal(url: string | undefined, policy: SecretPolicy): string | undefined {
  if (url === undefined || baseUrlAllowed(url, policy)) return undefined;
  return `${JSON.stringify(url)} is not a base URL this server sends secrets to (--secret-base-url: ${policy.baseUrls.join(', ')})`;
}

export const BASE_URL_FIX = `use one of the pinned base URLs, or the operator adds this one with \`beamline serve --secret-base-url URL\` (or ${SECRET_BASE_URLS_ENV})`;

/**
 * The replica's read: refuses a variable or a destination the policy does not
 * allow even when the deploy checks were bypassed. Errors name the config field.
 */
export function readSecretEnv(name: string, sentTo: string | undefined, policy: SecretPolicy | undefined, env: NodeJS.ProcessEnv = process.env): { ok: true; value: string | undefined } | { ok: false; field: 'env' | 'url'; message: string } {
  const p = policy ?? DEFAULT_SECRET_POLICY;
  const envWhy = envRefusal(name, p);
  if (envWhy) return { ok: false, field: 'env', message: envWhy };
  const urlWhy = baseUrlRefusal(sentTo, p);
  if (urlWhy) return { ok: false, field: 'url', message: urlWhy };
  return { ok: true, value: env[name] };
}

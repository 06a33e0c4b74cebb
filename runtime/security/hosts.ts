import { isIP } from 'node:net';
import { isLoopbackHost } from './auth.js';

/**
 * The Host allow-list, against DNS rebinding: a page on evil.example whose name
 * is made to resolve to 127.0.0.1 reaches a loopback server with
 * `Host: evil.example`, and the browser treats the answers as evil.example's own.
 * Only the names the server is bound to, plus names the operator lists, are
 * answered; and only pages on those names are same-origin.
 */

export const ALLOWED_HOSTS_ENV = 'BEAMLINE_ALLOWED_HOSTS';
export const ALLOWED_HOSTS_FLAG = '--allowed-host';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** A host name or IPv4 literal (no port); IPv6 literals are written in brackets. */
const NAME = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Port rule of one accepted name: the port the server listens on, a fixed one, or any (a name behind a proxy). */
type PortRule = 'bound' | 'any' | number;

interface HostPort {
  /** Lower case; IPv6 literals in brackets. */
  name: string;
  port?: number;
}

/** `name`, `name:port`, `[v6]`, `[v6]:port` -> parts; undefined when malformed. */
export function splitHost(value: string): HostPort | undefined {
  const v = value.toLowerCase();
  let name: string;
  let rest: string;
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    if (end < 0 || isIP(v.slice(1, end)) !== 6) return undefined;
    name = v.slice(0, end + 1);
    rest = v.slice(end + 1);
  } else {
    const colon = v.indexOf(':');
    name = colon < 0 ? v : v.slice(0, colon);
    rest = colon < 0 ? '' : v.slice(colon);
    if (!NAME.test(name)) return undefined;
  }
  if (rest === '') return { name };
  if (!/^:\d{1,5}$/.test(rest)) return undefined;
  const port = Number(rest.slice(1));
  return port > 0 && port < 65536 ? { name, port } : undefined;
}

/** The names of --allowed-host (repeatable, comma lists) and BEAMLINE_ALLOWED_HOSTS; "*" turns the Host check off. */
export function parseAllowedHosts(list: readonly string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const raw of [...(list ?? []), env[ALLOWED_HOSTS_ENV] ?? '']) {
    for (const item of raw.split(',')) {
      const h = item.trim();
      if (h === '') continue;
      if (h !== '*' && !splitHost(h)) throw new Error(`allowed host "${h}" is not a host name, IP address or name:port; write e.g. ${ALLOWED_HOSTS_FLAG} beamline.example.com`);
      out.push(h.toLowerCase());
    }
  }
  return [...new Set(out)];
}

const bracketed = (host: string) => (isIP(host.replace(/^\[|\]$/g, '')) === 6 ? `[${host.replace(/^\[|\]$/g, '')}]` : host.toLowerCase());

export interface HostPolicy {
  /**
   * May a request with this Host header go on? Its port, when given, must be the
   * one the name is served on. No Host at all: not a browser (HTTP/1.0), yes.
   */
  allows(host: string | undefined): boolean;
  /** Is a page of this Origin one of ours (same-origin)? Its port counts, default ports included. */
  ownsOrigin(origin: string): boolean;
  /** The 421 answer for a refused Host. */
  refusal(host: string): { error: string; code: 'host_not_allowed' };
  /** The port, once listening (port 0 picks one). */
  listening(port: number): void;
}

/**
 * The names a server bound to `bindHost` answers to: for a loopback bind the
 * loopback names; for a specific address that address; for a wildcard bind
 * (0.0.0.0, ::) the loopback names and any IP literal (a rebound *name* is what
 * the attack needs; a Host that is an IP address cannot come from one). Names the
 * operator lists are added to all of them.
 */
export function hostPolicy(bindHost: string, listed: readonly string[]): HostPolicy {
  const bind = bracketed(bindHost);
  const wildcard = bind === '0.0.0.0' || bind === '[::]' || bind === '';
  const rules = new Map<string, PortRule>();
  if (isLoopbackHost(bindHost) || wildcard) for (const n of LOOPBACK_NAMES) rules.set(n, 'bound');
  if (bind !== '') rules.set(bind, 'bound');
  let any = false;
  for (const entry of listed) {
    if (entry === '*') any = true;
    const hp = entry === '*' ? undefined : splitHost(entry);
    if (hp) rules.set(hp.name, hp.port ?? 'any');
  }
  let port: number | undefined;
  // Accepted Host values, so the data plane's hot path parses each only once.
  const seen = new Set<string>();

  const rule = (name: string): PortRule | undefined => rules.get(name) ?? (wildcard && isIP(name.replace(/^\[|\]$/g, '')) ? 'bound' : undefined);
  const portOk = (r: PortRule, given: number | undefined) => given === undefined || r === 'any' || (r === 'bound' ? port === undefined || given === port : given === r);

  const served = () => {
    const names = [...rules.keys()].join(', ');
    return `${names}${wildcard ? ', IP addresses' : ''}${port !== undefined ? ` (port ${port})` : ''}`;
  };

  return {
    allows(host) {
      if (host === undefined || any || seen.has(host)) return true;
      const hp = splitHost(host);
      const r = hp && rule(hp.name);
      if (!hp || r === undefined || !portOk(r, hp.port)) return false;
      if (seen.size < 64) seen.add(host);
      return true;
    },
    ownsOrigin(origin) {
      let url: URL;
      try {
        url = new URL(origin);
      } catch {
        return false;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      // Not widened by "*": that turns off the Host check, not the cross-site one (--cors-origin does that).
      const r = rule(url.hostname);
      return r !== undefined && portOk(r, url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port));
    },
    refusal(host) {
      const shown = host.length > 100 ? `${host.slice(0, 100)}…` : host;
      const name = splitHost(host)?.name ?? shown;
      return {
        error: `host "${shown}" is not a name this server answers to (${served()}); if it is yours, start the server with ${ALLOWED_HOSTS_FLAG} ${name} (or ${ALLOWED_HOSTS_ENV}=${name})`,
        code: 'host_not_allowed',
      };
    },
    listening(p) {
      port = p;
      seen.clear();
    },
  };
}

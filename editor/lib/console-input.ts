/**
 * The test console's request body: typed text (sent as the input's first text field, or as
 * the whole body when it is JSON) plus the images picked from files for the input's `image`
 * fields, each a data: URL as the input node accepts inline.
 */
import type { PortSpec } from '../../shared/ports.js';

/** The input node's fields a file is picked for. */
export const imageFields = (ports: readonly PortSpec[]) => ports.filter((p) => p.type === 'image').map((p) => p.name);

/** The field typed text goes to: the first one that is not an image (or the whole body). */
export const textField = (ports: readonly PortSpec[]) => ports.find((p) => p.type !== 'image' && p.name !== 'body')?.name;

export function composeBody(text: string, ports: readonly PortSpec[], images: Readonly<Record<string, string>> = {}): unknown {
  const t = text.trim();
  let body: unknown;
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      body = JSON.parse(t);
    } catch {
      // Not JSON after all: sent as text.
    }
  }
  if (body === undefined) {
    const field = ports.length ? textField(ports) : 'query';
    body = field && !(t === '' && Object.keys(images).length) ? { [field]: text } : {};
  }
  if (!Object.keys(images).length || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return { ...body, ...images };
}

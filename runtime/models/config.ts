import type { z } from 'zod';
import type { NodeKind } from '../../shared/catalog/types.js';

/** A node's config through its catalog schema (defaults filled), or an error naming each bad field. */
export function parseConfig<C extends z.ZodType>(kind: NodeKind<C>, config: unknown): z.output<C> {
  const r = kind.config.safeParse(config ?? {});
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `config.${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  throw new Error(`${kind.kind}: ${issues.join('; ')}`);
}

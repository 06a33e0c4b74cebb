const ID = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

/** A node id not in `taken`, built from `base` (a kind or an id being copied): embedder, embedder_2, ... */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  let stem = base.replace(/[^A-Za-z0-9_-]/g, '_').replace(/_\d+$/, '') || 'node';
  if (!/^[A-Za-z_]/.test(stem)) stem = `n_${stem}`;
  stem = stem.slice(0, 56);
  if (!taken.has(stem) && ID.test(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}_${i}`;
    if (!taken.has(id)) return id;
  }
}

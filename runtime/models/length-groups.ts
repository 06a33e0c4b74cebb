/**
 * Splits rows sorted by token length into model runs whose padding stays small.
 * A padded batch costs rows x longest row: on a CPU, where a model gains little
 * from a wider batch, one long text in a batch of short ones makes every row
 * pay for its length. A run is closed when adding the next (longer) row would
 * make padded tokens exceed `slack` x real tokens, or when it holds `maxRows`.
 */
export function lengthGroups(sortedLengths: readonly number[], maxRows: number, slack = 1.25): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let real = 0;
  sortedLengths.forEach((len, i) => {
    const padded = (group.length + 1) * len;
    if (group.length > 0 && (group.length >= maxRows || padded > slack * (real + len))) {
      groups.push(group);
      group = [];
      real = 0;
    }
    group.push(i);
    real += len;
  });
  if (group.length) groups.push(group);
  return groups;
}

/**
 * Cycles of a directed graph for error messages. Every elementary cycle is not
 * needed: one per strongly connected component names the nodes on it, listed
 * along its edges from its alphabetically first node. Tarjan's algorithm,
 * iterative so deep graphs cannot overflow the stack.
 */
export function findCycles(ids: string[], succ: (id: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; next: string[]; i: number }[] = [];
    const enter = (id: string) => {
      index.set(id, counter);
      low.set(id, counter++);
      stack.push(id);
      onStack.add(id);
      work.push({ id, next: succ(id), i: 0 });
    };
    enter(root);
    while (work.length) {
      const top = work[work.length - 1];
      if (top.i < top.next.length) {
        const w = top.next[top.i++];
        if (!index.has(w)) enter(w);
        else if (onStack.has(w)) low.set(top.id, Math.min(low.get(top.id)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.id)!));
      }
      if (low.get(top.id) === index.get(top.id)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.id);
        if (comp.length > 1 || succ(top.id).includes(top.id)) cycles.push(orderCycle(comp, succ));
      }
    }
  }
  return cycles;
}

/** Walk the component from its first node so the message reads along the edges. */
function orderCycle(comp: string[], succ: (id: string) => string[]): string[] {
  const inComp = new Set(comp);
  const start = [...comp].sort()[0];
  const path = [start];
  const used = new Set([start]);
  let cur = start;
  for (;;) {
    const next = succ(cur).find((n) => inComp.has(n) && !used.has(n));
    if (!next) break;
    path.push(next);
    used.add(next);
    cur = next;
  }
  return path;
}

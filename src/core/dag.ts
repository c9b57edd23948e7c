// depends-on-task graphs: cycle detection and which tasks are open.

/** Returns one cycle as a list of ids (first id repeated at the end), or null if the graph is acyclic. */
export function findCycle(edges: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'active');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'active') return [...stack.slice(stack.indexOf(next)), next];
      if (s === undefined && edges.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

/** All tasks reachable through depends-on from `start` (not including `start`). */
export function ancestors(edges: ReadonlyMap<string, readonly string[]>, start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(edges.get(start) ?? [])];
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(edges.get(id) ?? []));
  }
  return seen;
}

/** A task is open for its signer when every task it depends on is completed. */
export function isOpen(dependsOn: readonly string[] | undefined, completed: ReadonlySet<string>): boolean {
  return (dependsOn ?? []).every((id) => completed.has(id));
}

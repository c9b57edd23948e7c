// Bounded shutdown. Closing a BullMQ worker waits for Redis, which may be dead or frozen, and would
// then wait forever; so each step of Runtime.close gets a time limit, a step that misses it is
// abandoned (the process is about to exit) and named, and the others still run: the private
// redis-server and the database are closed however the queues fared.

export interface ShutdownStep {
  name: string;
  /** the most this step may take; the sum over all steps bounds the whole shutdown */
  ms: number;
  run: () => unknown;
}

export class ShutdownIncomplete extends Error {
  constructor(readonly problems: string[]) {
    super(`shutdown incomplete: ${problems.join('; ')}`);
    this.name = 'ShutdownIncomplete';
  }
}

/** Runs the steps in order, each within its limit; throws ShutdownIncomplete naming those that failed or timed out. */
export async function runShutdown(steps: readonly ShutdownStep[]): Promise<void> {
  const problems: string[] = [];
  for (const step of steps) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), step.ms);
    });
    try {
      const outcome = await Promise.race([Promise.resolve().then(step.run), late]);
      if (outcome === 'late') problems.push(`${step.name}: not done within ${step.ms} ms (abandoned)`);
    } catch (e) {
      problems.push(`${step.name}: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (problems.length) throw new ShutdownIncomplete(problems);
}

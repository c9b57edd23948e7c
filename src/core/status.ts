// Task state machine (reference §4.5): created → completed | rejected | expired | deleted | failed.
import type { TaskStatus } from './enums';
import { StateError } from './errors';

const NEXT: Record<TaskStatus, readonly TaskStatus[]> = {
  created: ['completed', 'rejected', 'expired', 'deleted', 'failed'],
  completed: ['deleted'],
  rejected: ['deleted'],
  expired: ['deleted'],
  failed: ['deleted'],
  deleted: [],
};

export function canMove(from: TaskStatus, to: TaskStatus): boolean {
  return NEXT[from].includes(to);
}

/** Throws a StateError naming the task when the transition is not allowed. */
export function move(taskPath: string, from: TaskStatus, to: TaskStatus): TaskStatus {
  if (!canMove(from, to)) throw new StateError(taskPath, `a ${from} task cannot become ${to}`);
  return to;
}

/** A request is completed when every task that is not deleted is completed. */
export function requestCompleted(statuses: readonly TaskStatus[]): boolean {
  const live = statuses.filter((s) => s !== 'deleted');
  return live.length > 0 && live.every((s) => s === 'completed');
}

export const DEFAULT_DAYS_TO_LIVE = 30;

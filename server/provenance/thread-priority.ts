import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the scheduling priority of the calling thread only: on Linux a thread id given to
 * setpriority names that one thread. The provenance threads run so (PROVENANCE_THREAD_NICE): a
 * write path that keeps every core busy then wins the CPU, and anchoring, which nothing waits
 * for, catches up when it is idle. Elsewhere, or without the right, nothing changes.
 */
export function lowerThreadPriority(nice: number): void {
  if (!(nice > 0)) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid)) setPriority(tid, nice);
  } catch {
    // Not Linux (no /proc/thread-self) or not permitted: the thread keeps its priority.
  }
}

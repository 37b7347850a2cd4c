import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux everywhere in practice). */
const TICKS = 100;

/**
 * CPU seconds (user + system) used so far by a process and by every PostgreSQL process of this
 * machine, from /proc: undefined where there is no /proc (not Linux). A benchmark takes the
 * difference over a phase; PostgreSQL counts only when it runs on this machine (127.0.0.1).
 */
export function cpuSeconds(pid: number, withPostgres: boolean): number | undefined {
  const own = readStat(pid)?.cpu;
  if (own === undefined) return undefined;
  if (!withPostgres) return own;
  let total = own;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.comm === 'postgres') total += stat.cpu;
  }
  return total;
}

/**
 * CPU seconds used so far by the threads of this process that run at niceness `nice` (0 while
 * there are none yet): how a benchmark tells a thread that lowered its own priority from the rest.
 * Undefined where there is no /proc.
 */
export function threadCpuSecondsAtNice(nice: number): number | undefined {
  let tids: string[];
  try {
    tids = fs.readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  let total = 0;
  for (const tid of tids) {
    const stat = readStat(`self/task/${tid}`);
    if (stat?.nice === nice) total += stat.cpu;
  }
  return total;
}

/** Fields of /proc/<path>/stat; `path` is a pid, or a thread as `self/task/<tid>`. */
function readStat(path: number | string): { comm: string; cpu: number; nice: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${path}/stat`, 'utf8');
    // Fields after the command, which may itself hold spaces and parentheses (proc(5), from state on).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS, nice: Number(fields[16]) };
  } catch {
    return undefined;
  }
}

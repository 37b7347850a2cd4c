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

function readStat(pid: number): { comm: string; cpu: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS };
  } catch {
    return undefined;
  }
}

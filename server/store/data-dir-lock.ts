import fs from 'node:fs';
import path from 'node:path';

export class DataDirInUseError extends Error {}

/** The lock file's holder when its process is alive: another server, or this process's own other server. */
function liveHolder(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (pid === process.pid) return pid;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * One server process per DATA_DIR. Everything in it is one process's: the embedded PGlite
 * database, the LevelDB block store, the embedded chain, the key file. A second server started on
 * the same directory (a second `npm start`, say) opened PGlite beside the first — two writers
 * on one database — and then died of LevelDB's lock after it had announced "ready". It now stops
 * before opening anything, naming the process that holds the directory. A lock file left by a
 * process that is gone (kill -9, a crash) is taken over. Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'server.pid');
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = liveHolder(file);
      // A second EEXIST: another process took the stale lock over at the same moment.
      if (holder !== undefined || attempt > 0) {
        const who = holder === undefined ? 'another process' : holder === process.pid ? 'another server in this process' : `process ${holder}`;
        throw new DataDirInUseError(`DATA_DIR ${dataDir} is in use by ${who}; stop that server or give this one its own DATA_DIR (if no server runs there, delete ${file})`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (liveHolder(file) === process.pid) fs.rmSync(file, { force: true });
  };
}

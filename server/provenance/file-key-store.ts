import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { ProvenanceFailureError } from './errors.ts';
import { kekId } from './kek.ts';
import type { KeyStore } from './key-store.ts';
import { unwrapKey, wrapKey } from './key-wrap.ts';

const FORMAT = 'vitalchain-keystore/1';

interface Header {
  format: string;
  kek: string;
}
interface Line {
  s: string;
  k: string;
}

/**
 * KeyStore in DATA_DIR/keys/patient-keys.jsonl: a header naming the KEK fingerprint, then one line
 * per patient key (AES-KW under the KEK, 40 bytes). New keys are appended and fsynced before they
 * are handed out, so no bundle is ever sealed under a key that a crash could lose. Destroying a key
 * or rotating the KEK rewrites the whole file (temp file, fsync, rename), so a destroyed key leaves
 * the live file at once. Copies made before (backups, file-system snapshots) are out of its reach.
 *
 * One process owns the file; servers that scale out share keys through an external KMS instead.
 */
export class FileKeyStore implements KeyStore {
  private readonly wrapped = new Map<string, Buffer>();
  private readonly plain = new Map<string, Buffer>();
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private kek: Buffer,
  ) {}

  /** Opens (or creates) the key file; re-wraps it under `kek` when it was wrapped under one of `previous`. */
  static async open(dataDir: string, kek: Uint8Array, previous: readonly Uint8Array[] = []): Promise<FileKeyStore> {
    const dir = path.join(dataDir, 'keys');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new FileKeyStore(path.join(dir, 'patient-keys.jsonl'), Buffer.from(kek));
    const header = await store.load();
    if (!header) {
      await store.rewrite();
    } else if (header.kek !== kekId(kek)) {
      const old = previous.find((candidate) => kekId(candidate) === header.kek);
      if (!old) throw new ProvenanceFailureError('keys', `key file ${store.file} is wrapped under another key-encryption key (${header.kek})`);
      store.kek = Buffer.from(old);
      await store.rotateKek(kek);
    }
    return store;
  }

  async patientKey(subject: string): Promise<Buffer> {
    return (await this.patientKeys([subject])).get(subject)!;
  }

  patientKeys(subjects: Iterable<string>): Promise<Map<string, Buffer>> {
    return this.exclusive(async () => {
      const wanted = [...new Set(subjects)];
      const created: Line[] = [];
      for (const subject of wanted) {
        if (typeof subject !== 'string' || subject.length === 0) throw new ProvenanceFailureError('keys', 'a key subject is a non-empty string');
        if (this.wrapped.has(subject)) continue;
        const key = randomBytes(32);
        const wrapped = wrapKey(this.kek, key);
        created.push({ s: subject, k: wrapped.toString('base64') });
        this.plain.set(subject, key);
        this.wrapped.set(subject, wrapped);
      }
      if (created.length) {
        try {
          await this.append(created);
        } catch (err) {
          for (const { s } of created) {
            this.wrapped.delete(s);
            this.plain.delete(s);
          }
          throw new ProvenanceFailureError('keys', `could not write ${this.file}`, { cause: err });
        }
      }
      return new Map(wanted.map((subject) => [subject, this.unwrapped(subject)!]));
    });
  }

  async subjects(): Promise<string[]> {
    await this.lock;
    return [...this.wrapped.keys()];
  }

  async existingPatientKey(subject: string): Promise<Buffer | undefined> {
    await this.lock;
    return this.unwrapped(subject);
  }

  destroyPatientKey(subject: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (!this.wrapped.has(subject)) return false;
      this.wrapped.delete(subject);
      this.plain.delete(subject);
      await this.rewrite();
      return true;
    });
  }

  rotateKek(newKek: Uint8Array): Promise<void> {
    return this.exclusive(async () => {
      const next = Buffer.from(newKek);
      if (next.length !== 32) throw new ProvenanceFailureError('keys', 'a key-encryption key is 32 bytes');
      for (const [subject, wrapped] of this.wrapped) this.wrapped.set(subject, wrapKey(next, unwrapKey(this.kek, wrapped)));
      this.kek = next;
      await this.rewrite();
    });
  }

  async close(): Promise<void> {
    await this.lock;
    this.plain.clear();
  }

  private unwrapped(subject: string): Buffer | undefined {
    let key = this.plain.get(subject);
    if (key) return key;
    const wrapped = this.wrapped.get(subject);
    if (!wrapped) return undefined;
    try {
      key = unwrapKey(this.kek, wrapped);
    } catch (err) {
      throw new ProvenanceFailureError('keys', `the key of one subject in ${this.file} does not unwrap under the KEK`, { cause: err });
    }
    this.plain.set(subject, key);
    return key;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<Header | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const lines = text.split('\n').filter(Boolean);
    const header = JSON.parse(lines[0] ?? '{}') as Header;
    if (header.format !== FORMAT) throw new ProvenanceFailureError('keys', `${this.file} is not a ${FORMAT} file`);
    lines.slice(1).forEach((raw, i) => {
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch (err) {
        // Only an append cut short by a crash may be torn, and its key was never handed out.
        if (i === lines.length - 2 && !text.endsWith('\n')) return;
        throw new ProvenanceFailureError('keys', `${this.file} line ${i + 2} is corrupt`, { cause: err });
      }
      this.wrapped.set(line.s, Buffer.from(line.k, 'base64'));
    });
    return header;
  }

  private async append(lines: Line[]): Promise<void> {
    const handle = await open(this.file, 'a', 0o600);
    try {
      await handle.write(lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  private async rewrite(): Promise<void> {
    const header: Header = { format: FORMAT, kek: kekId(this.kek) };
    const body = [JSON.stringify(header), ...[...this.wrapped].map(([s, k]) => JSON.stringify({ s, k: k.toString('base64') } satisfies Line))];
    const temp = `${this.file}.${process.pid}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.write(`${body.join('\n')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

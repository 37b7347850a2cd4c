import { createHash, randomBytes } from 'node:crypto';
import { identifierTime } from '../../mappings/identity.ts';
import type { Database } from '../store/database.ts';

const SECRET_NAME = 'reading-ids';
const SECRET_BYTES = 32;
/** UUIDs hold 48 bits of time, as in version 7: milliseconds from 1970 to the year 10889. */
const TIME_LIMIT = 2 ** 48;

/**
 * The id of an ingested reading's Observation, derived from its ingest identifier (device, type,
 * time) rather than drawn at random, so the reading claims its own row: two requests carrying
 * the same reading meet on the resource table's (type, id) key, and the second finds the first's
 * Observation instead of creating another. No separate claim row per reading is written.
 *
 * Layout: a UUID of version 8 (RFC 9562, custom) — 48 bits of the reading's effective time in
 * milliseconds, as version 7 holds its creation time, so a device stream's new ids land at the
 * right edge of the (type, id) index instead of on a random page each; then 74 bits of SHA-256
 * over a secret kept in the database and the identifier, so the device's identifier cannot be
 * recovered from an id by trying candidates. The effective time is in the Observation anyway.
 */
export class ReadingIds {
  constructor(private readonly secret: Buffer) {}

  static async open(db: Database): Promise<ReadingIds> {
    await db.query(`INSERT INTO server_secret (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [SECRET_NAME, randomBytes(SECRET_BYTES)]);
    const { rows } = await db.query<{ value: Buffer }>(`SELECT value FROM server_secret WHERE name = $1`, [SECRET_NAME]);
    return new ReadingIds(Buffer.from(rows[0].value));
  }

  /** The id for an ingest identifier value (`device system|value|type|time`, mappings/identity.ts). */
  idOf(ingestIdentifier: string): string {
    const digest = createHash('sha256').update(this.secret).update(ingestIdentifier).digest();
    const effective = identifierTime(ingestIdentifier);
    const time = Number.isFinite(effective) ? Math.min(TIME_LIMIT - 1, Math.max(0, Math.trunc(effective))) : 0;
    const bytes = Buffer.allocUnsafe(16);
    bytes.writeUIntBE(time, 0, 6);
    bytes[6] = 0x80 | (digest[0] & 0x0f);
    bytes[7] = digest[1];
    bytes[8] = 0x80 | (digest[2] & 0x3f);
    digest.copy(bytes, 9, 3, 10);
    return uuidText(bytes);
  }
}

const HEX_DIGITS = '0123456789abcdef';

/**
 * 8-4-4-4-12 hex text of 16 bytes, written as one flat string: a template of hex slices
 * would keep each id as a tree of nine strings for as long as the request holds it.
 */
function uuidText(bytes: Buffer): string {
  const text = Buffer.allocUnsafe(36);
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d;
    text[at++] = HEX_DIGITS.charCodeAt(bytes[i]! >>> 4);
    text[at++] = HEX_DIGITS.charCodeAt(bytes[i]! & 0x0f);
  }
  return text.toString('latin1', 0, 36);
}

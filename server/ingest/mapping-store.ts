import { getBuiltInMapping, listMappings } from '../../mappings/registry.ts';
import type { Mapping, MappingResult } from '../../mappings/mapping.ts';
import type { MappingIssue } from '../../mappings/issue.ts';
import { PG_UNIQUE_VIOLATION, sqlErrorCode, type Database } from '../store/database.ts';
import { compileMappingSource, declaredId, MAPPING_ID, type MappingSource } from './mapping-source.ts';

export interface StoredMapping {
  id: string;
  version: number;
  format: MappingSource['format'];
  definition: string;
  fhirDefinition?: string;
  identity?: string;
  source: 'api' | 'file';
  createdAt: string;
}

export interface MappingListing {
  id: string;
  title: string;
  kind: Mapping['kind'];
  identity: Mapping['identity'];
  formats: readonly string[];
  /** Latest version (custom mappings only). */
  version?: number;
  source: 'builtin' | 'api' | 'file';
  createdAt?: string;
}

export interface ResolvedMapping {
  mapping: Mapping;
  id: string;
  version?: number;
}

export type PutResult =
  | { ok: true; stored: StoredMapping; created: boolean; issues: MappingIssue[] }
  | { ok: false; issues: MappingIssue[] };

interface Row {
  id: string;
  version: number;
  format: string;
  definition: string;
  fhir_definition: string | null;
  identity: string | null;
  source: string;
  created_at: Date;
}

function fromRow(row: Row): StoredMapping {
  return {
    id: row.id,
    version: row.version,
    format: row.format as StoredMapping['format'],
    definition: row.definition,
    ...(row.fhir_definition !== null ? { fhirDefinition: row.fhir_definition } : {}),
    ...(row.identity !== null ? { identity: row.identity } : {}),
    source: row.source as StoredMapping['source'],
    createdAt: row.created_at.toISOString(),
  };
}

function sourceOf(stored: Pick<StoredMapping, 'format' | 'id' | 'definition' | 'fhirDefinition' | 'identity'>): MappingSource {
  return stored.format === 'medtech'
    ? { format: 'medtech', id: stored.id, definition: stored.definition, ...(stored.fhirDefinition !== undefined ? { fhirDefinition: stored.fhirDefinition } : {}), ...(stored.identity ? { identity: stored.identity as 'lookup' | 'create' } : {}) }
    : { format: 'vitalchain', definition: stored.definition };
}

const COLUMNS = 'id, version, format, definition, fhir_definition, identity, source, created_at';

/**
 * Built-in mappings plus custom ones kept in ingest_mapping, versioned: every change of an id
 * adds a version, so what a past ingest used stays readable. Compiled mappings are cached per
 * id and version; the latest version is asked of the database on each use, so a mapping
 * replaced through another server process is seen at once.
 */
export class MappingStore {
  private readonly compiled = new Map<string, Mapping>();

  constructor(private readonly db: Database) {}

  /** `id` (latest version) or `id|version`; undefined when no such mapping exists. */
  async resolve(reference: string): Promise<ResolvedMapping | undefined> {
    const bar = reference.lastIndexOf('|');
    const id = bar > 0 ? reference.slice(0, bar) : reference;
    const version = bar > 0 ? Number(reference.slice(bar + 1)) : undefined;
    const builtIn = getBuiltInMapping(id);
    if (builtIn) return version === undefined ? { mapping: builtIn, id } : undefined;
    if (version !== undefined && !Number.isInteger(version)) return undefined;
    const stored = await this.read(id, version);
    if (!stored) return undefined;
    const key = `${stored.id}|${stored.version}`;
    let mapping = this.compiled.get(key);
    if (!mapping) {
      const result = compileMappingSource(sourceOf(stored));
      // Stored definitions compiled when they were stored; failing now means the engine changed.
      if (!result.mapping) throw new Error(`Stored mapping ${key} no longer compiles`);
      mapping = result.mapping;
      this.compiled.set(key, mapping);
    }
    return { mapping, id: stored.id, version: stored.version };
  }

  async read(id: string, version?: number): Promise<StoredMapping | undefined> {
    const { rows } =
      version === undefined
        ? await this.db.query<Row>(`SELECT ${COLUMNS} FROM ingest_mapping WHERE id = $1 ORDER BY version DESC LIMIT 1`, [id])
        : await this.db.query<Row>(`SELECT ${COLUMNS} FROM ingest_mapping WHERE id = $1 AND version = $2`, [id, version]);
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async versions(id: string): Promise<StoredMapping[]> {
    const { rows } = await this.db.query<Row>(`SELECT ${COLUMNS} FROM ingest_mapping WHERE id = $1 ORDER BY version`, [id]);
    return rows.map(fromRow);
  }

  async list(): Promise<MappingListing[]> {
    const builtIns: MappingListing[] = listMappings().map((summary) => ({ ...summary, source: 'builtin' }));
    const { rows } = await this.db.query<Row>(
      `SELECT DISTINCT ON (id) ${COLUMNS} FROM ingest_mapping ORDER BY id, version DESC`,
    );
    const custom: MappingListing[] = [];
    for (const row of rows) {
      const resolved = await this.resolve(`${row.id}|${row.version}`);
      if (!resolved) continue;
      const { title, kind, identity, formats } = resolved.mapping;
      custom.push({ id: row.id, title, kind, identity, formats, version: row.version, source: row.source as 'api' | 'file', createdAt: row.created_at.toISOString() });
    }
    return [...builtIns, ...custom];
  }

  /**
   * Adds a version of a custom mapping when it compiles and differs from the latest one (the
   * same text again changes nothing). Built-in ids are reserved: a variant `extends` them.
   */
  async put(source: MappingSource, origin: 'api' | 'file'): Promise<PutResult> {
    const id = declaredId(source);
    const result: MappingResult = compileMappingSource(source);
    if (!result.mapping) return { ok: false, issues: result.issues };
    const mappingId = result.mapping.id;
    if (id !== undefined && id !== mappingId) return { ok: false, issues: [{ severity: 'error', code: 'invalid', diagnostics: `Mapping id '${id}' does not match the compiled id '${mappingId}'` }] };
    if (!MAPPING_ID.test(mappingId)) {
      return { ok: false, issues: [{ severity: 'error', code: 'invalid', diagnostics: `Mapping id '${mappingId}' must be 1-64 letters, digits, '-', '.' or '_'`, location: { source: 'template', path: '$.id' } }] };
    }
    if (getBuiltInMapping(mappingId)) {
      return { ok: false, issues: [{ severity: 'error', code: 'business-rule', diagnostics: `'${mappingId}' is a built-in mapping and cannot be replaced; give the variant its own id and "extends": "${mappingId}"`, location: { source: 'template', path: '$.id' } }] };
    }
    for (let attempt = 0; ; attempt++) {
      const latest = await this.read(mappingId);
      if (latest && latest.format === source.format && latest.definition === source.definition && (latest.fhirDefinition ?? undefined) === (source.format === 'medtech' ? source.fhirDefinition : undefined) && (latest.identity ?? undefined) === (source.format === 'medtech' ? source.identity : undefined)) {
        return { ok: true, stored: latest, created: false, issues: result.issues };
      }
      try {
        const { rows } = await this.db.query<Row>(
          `INSERT INTO ingest_mapping (id, version, format, definition, fhir_definition, identity, source)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
          [mappingId, (latest?.version ?? 0) + 1, source.format, source.definition, source.format === 'medtech' ? (source.fhirDefinition ?? null) : null, source.format === 'medtech' ? (source.identity ?? null) : null, origin],
        );
        const stored = fromRow(rows[0]!);
        this.compiled.set(`${stored.id}|${stored.version}`, result.mapping);
        return { ok: true, stored, created: true, issues: result.issues };
      } catch (error) {
        // Another process added the same version number first: read again and retry.
        if (sqlErrorCode(error) !== PG_UNIQUE_VIOLATION || attempt >= 3) throw error;
      }
    }
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { describeLocation } from '../../mappings/issue.ts';
import type { MappingStore } from './mapping-store.ts';

/**
 * Loads MAPPINGS_DIR/*.json (our declarative format) into the mapping store at start: a file
 * whose text differs from the latest stored version becomes a new version, an unchanged file
 * changes nothing. A file that does not compile is logged (name, line, column) and skipped, so
 * one bad file does not keep the server down.
 */
export async function loadMappingFiles(store: MappingStore, dir: string, log: Logger): Promise<{ loaded: string[]; failed: string[] }> {
  const loaded: string[] = [];
  const failed: string[] = [];
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    log.error({ dir, err: (error as Error).message }, 'MAPPINGS_DIR is not readable');
    return { loaded, failed };
  }
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const result = await store.put({ format: 'vitalchain', definition: text }, 'file');
    if (result.ok) {
      loaded.push(result.stored.id);
      if (result.created) log.info({ file, mapping: result.stored.id, version: result.stored.version }, 'mapping loaded');
    } else {
      failed.push(file);
      log.error({ file, issues: result.issues.map((issue) => `${describeLocation(issue.location)}: ${issue.diagnostics}`) }, 'mapping file refused');
    }
  }
  return { loaded, failed };
}

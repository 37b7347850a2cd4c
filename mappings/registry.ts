import { appleHealthMapping } from './builtin/apple-health.ts';
import { bleGattMapping } from './builtin/ble-gatt.ts';
import { dexcomMapping } from './builtin/dexcom.ts';
import { fitbitMapping } from './builtin/fitbit.ts';
import { ihePcd01Mapping } from './builtin/ihe-pcd01.ts';
import { openMHealthMapping } from './builtin/openmhealth.ts';
import { withingsMapping } from './builtin/withings.ts';
import type { Mapping } from './mapping.ts';

const BUILT_INS: readonly Mapping[] = [openMHealthMapping, bleGattMapping, ihePcd01Mapping, fitbitMapping, withingsMapping, appleHealthMapping, dexcomMapping];
const byId = new Map(BUILT_INS.map((mapping) => [mapping.id, mapping]));

export interface MappingSummary {
  id: string;
  title: string;
  kind: Mapping['kind'];
  identity: Mapping['identity'];
  formats: readonly string[];
}

/** The built-in mappings, for `GET $mappings` and `vitalchain map --mapping <id>`. */
export function listMappings(): MappingSummary[] {
  return BUILT_INS.map(({ id, title, kind, identity, formats }) => ({ id, title, kind, identity, formats }));
}

export function getBuiltInMapping(id: string): Mapping | undefined {
  return byId.get(id);
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root and the shared fixtures beside the checkout (../shared), as the project's tests read them. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = path.resolve(REPO_ROOT, '..', 'shared');
export const FIXTURES = path.join(SHARED, 'iomt-fixtures');
export const MS_TEST_INPUT = path.join(FIXTURES, 'microsoft-iomt-fhir/test/Microsoft.Health.Fhir.Ingest.Template.UnitTests/TestInput');
export const MS_SAMPLES = path.join(FIXTURES, 'microsoft-iomt-fhir/sample/templates');
export const IPF = path.join(FIXTURES, 'oehf-ipf/commons/ihe/hl7v2ws/src/test/resources');
export const PHD_EXAMPLES = path.join(FIXTURES, 'hl7-phd/input/examples');
export const OMH_TEST_DATA = path.join(FIXTURES, 'openmhealth-schemas/test-data/omh');
export const SHIMMER = path.join(FIXTURES, 'openmhealth-shimmer/shim-server/src/test/resources/org/openmhealth/shim');

export function readFixture(...parts: string[]): string {
  return fs.readFileSync(path.join(...parts), 'utf8');
}

export function readFixtureJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFixture(...parts).replace(/^\uFEFF/, '')) as T;
}

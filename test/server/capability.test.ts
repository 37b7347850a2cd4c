import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { searchParameters } from '../../server/fhir/search/definitions/search-parameters.ts';

describe('CapabilityStatement', () => {
  let s: TestServer;
  let capability: any;
  beforeAll(async () => {
    s = await startTestServer('pglite');
    capability = (await s.fhir('GET', 'metadata')).json;
  });
  afterAll(async () => s?.close());

  it('describes an R4 JSON server with the interactions it implements', () => {
    expect(capability.fhirVersion).toBe('4.0.1');
    expect(capability.format).toContain('application/fhir+json');
    expect(capability.format.some((f: string) => f.includes('xml'))).toBe(false);
    const rest = capability.rest[0];
    expect(rest.interaction.map((i: any) => i.code).sort()).toEqual(['batch', 'history-system', 'search-system', 'transaction']);
    const patient = rest.resource.find((r: any) => r.type === 'Patient');
    expect(patient.interaction.map((i: any) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'update', 'patch', 'delete', 'create', 'search-type', 'history-type', 'history-instance']));
    expect(patient.conditionalCreate).toBe(true);
    expect(patient.conditionalDelete).toBe('single');
  });

  it('lists only search parameters the engine answers, and each one really answers', async () => {
    const observation = capability.rest[0].resource.find((r: any) => r.type === 'Observation');
    const names = observation.searchParam.map((p: any) => p.name);
    expect(names).toEqual(expect.arrayContaining(['code', 'subject', 'patient', 'date', 'value-quantity', '_id', '_lastUpdated', '_tag', '_profile']));
    const sample: Record<string, string> = { date: 'ge2020', number: '5', quantity: '5', token: 'x', string: 'x', reference: 'Patient/x', uri: 'http://x' };
    for (const param of observation.searchParam) {
      const definition = searchParameters().param('Observation', param.name)!;
      const value = param.type === 'composite' ? definition.componentTypes!.map((type) => sample[type]).join('$') : sample[param.type];
      const reply = await s.fhir('GET', `Observation?${param.name}=${encodeURIComponent(value)}`);
      expect(reply.status, `${param.name} (${param.type}) → ${reply.text.slice(0, 200)}`).toBe(200);
    }
  });

  it('lists exactly the registered operations', () => {
    const operations = capability.rest[0].resource.find((r: any) => r.type === 'Patient').operation.map((o: any) => o.name);
    expect(operations).toContain('validate');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ids, loadSearchDataset } from './dataset.ts';

describe('search modifiers, chaining and reverse chaining', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
    await loadSearchDataset(s);
  });
  afterAll(async () => s?.close());
  const search = async (query: string) => {
    const reply = await s.fhir('GET', query);
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    return ids(reply);
  };

  it(':missing on every type (§3.1.1.5.1)', async () => {
    expect(await search('Patient?address-city:missing=true')).toEqual(['p2', 'p3']);
    expect(await search('Patient?deceased=false')).toEqual(['p1', 'p2']);
    expect(await search('Patient?birthdate:missing=false')).toEqual(['p1', 'p2', 'p3']);
    expect(await search('Observation?value-quantity:missing=true')).toEqual(['bp1', 'bp2', 'note1']);
    expect(await search('Encounter?date:missing=true')).toEqual(['e3']);
    expect(await search('Patient?organization:missing=true')).toEqual(['p3']);
  });

  it('token :not, :text, :of-type (§3.1.1.5.4–6)', async () => {
    expect(await search('Patient?gender:not=female')).toEqual(['p1']);
    expect(await search('Observation?code:text=heart')).toEqual(['hr1']);
    expect(await search('Observation?code:text=gluc')).toEqual(['lab1']);
    expect(await search('Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|12345')).toEqual(['p1']);
    expect(await search('Patient?identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|67890')).toEqual([]);
  });

  it('token :below and :above with the code-system hierarchy (§3.1.1.5.8)', async () => {
    const actCode = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
    // ACUTE is an inpatient (IMP) encounter, itself an _ActEncounterCode: two levels down.
    expect(await search(`Encounter?class:below=${actCode}|_ActEncounterCode`)).toEqual(['e1', 'e2', 'e3']);
    expect(await search(`Encounter?class:below=${actCode}|IMP`)).toEqual(['e3']);
    expect(await search(`Encounter?class:above=${actCode}|AMB`)).toEqual(['e1']);
    const unknown = await s.fhir('GET', 'Encounter?class:below=http://unknown.example|X');
    expect(unknown.status).toBe(400);
  });

  it('token :in and :not-in with value sets the server knows (§3.1.1.5.9)', async () => {
    // A ValueSet from the R4 definitions...
    expect(await search('Patient?gender:in=http://hl7.org/fhir/ValueSet/administrative-gender')).toEqual(['p1', 'p2', 'p3']);
    // ...and one stored on this server.
    expect(await search('Observation?code:in=http://example.org/ValueSet/hr-and-temp')).toEqual(['hr1', 'hr2', 'hr3', 'temp1', 'temp2']);
    expect(await search('Observation?code:not-in=http://example.org/ValueSet/hr-and-temp&category=vital-signs')).toEqual(['bp1', 'bp2']);
    expect((await s.fhir('GET', 'Observation?code:in=http://nowhere.example/ValueSet/x')).status).toBe(400);
  });

  it('reference :identifier and _list', async () => {
    await s.fhir('PUT', 'Observation/logical', {
      resourceType: 'Observation', id: 'logical', status: 'final', code: { text: 'x' }, subject: { identifier: { system: 'urn:mrn', value: '12345' } },
    });
    expect(await search('Observation?subject:identifier=urn:mrn|12345')).toEqual(['logical']);
    expect(await search('Patient?_list=l1')).toEqual(['p1', 'p3']);
    await s.fhir('DELETE', 'Observation/logical');
  });

  it('chaining, typed and multi-level (§3.1.1.6)', async () => {
    expect(await search('Observation?subject:Patient.name=peter')).toEqual(['bp1', 'hr1', 'hr2', 'temp1']);
    expect(await search('Observation?patient.gender=female&code=8867-4')).toEqual(['hr3']);
    expect(await search('Observation?subject:Patient.organization.name=mount')).toEqual(['bp1', 'bp2', 'hr1', 'hr2', 'hr3', 'temp1', 'temp2']);
    expect(await search('Observation?encounter.class=AMB')).toEqual(['hr1']);
    expect((await s.fhir('GET', 'Observation?subject.colour=blue')).status).toBe(400);
  });

  it('reverse chaining _has, nested (§3.1.1.7)', async () => {
    expect(await search('Patient?_has:Observation:patient:code=8310-5')).toEqual(['p1', 'p2']);
    expect(await search('Patient?_has:Observation:subject:value-quantity=gt100||/min')).toEqual(['p1']);
    expect(await search('Patient?_has:Condition:subject:code=38341003')).toEqual(['p1']);
    expect(await search('Organization?_has:Patient:organization:_has:Observation:patient:code=2339-0')).toEqual([]);
    expect(await search('Organization?_has:Patient:organization:_has:Observation:patient:code=8867-4')).toEqual(['org1']);
  });
});

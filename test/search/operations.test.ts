import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSynthea, syntheaFiles } from '../helpers/shared-data.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ids, loadSearchDataset } from './dataset.ts';

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

describe('Observation/$lastn, Observation/$stats, Patient/$everything', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
    await loadSearchDataset(s);
    // A day of heart-rate readings for p2 (88 at 08:30 already there): 60, 70, 80, 90 at 09:00..12:00.
    const entry = [60, 70, 80, 90].map((value, i) => ({
      resource: {
        resourceType: 'Observation', id: `hrd${i}`, status: 'final', code: { coding: [{ system: LOINC, code: '8867-4' }] },
        subject: { reference: 'Patient/p2' }, effectiveDateTime: `2024-02-01T${String(9 + i).padStart(2, '0')}:00:00Z`,
        valueQuantity: { value, unit: 'beats/minute', system: UCUM, code: '/min' },
      },
      request: { method: 'PUT', url: `Observation/hrd${i}` },
    }));
    // The newest heart rate carries an MDC coding beside LOINC (one reading, two index rows); a
    // local code without a system forms a group of its own.
    entry.push(
      {
        resource: {
          resourceType: 'Observation', id: 'hrx', status: 'final', code: { coding: [{ system: LOINC, code: '8867-4' }, { system: 'urn:iso:std:iso:11073:10101', code: '147842' }] },
          subject: { reference: 'Patient/p2' }, effectiveDateTime: '2024-02-02T01:00:00Z', valueQuantity: { value: 95, unit: 'beats/minute', system: UCUM, code: '/min' },
        },
        request: { method: 'PUT', url: 'Observation/hrx' },
      } as any,
      {
        resource: { resourceType: 'Observation', id: 'loc', status: 'final', code: { coding: [{ code: 'local-1' }] }, subject: { reference: 'Patient/p2' }, effectiveDateTime: '2024-02-02T01:00:00Z', valueString: 'ok' },
        request: { method: 'PUT', url: 'Observation/loc' },
      } as any,
    );
    expect((await s.fhir('POST', '', { resourceType: 'Bundle', type: 'transaction', entry })).status).toBe(200);
  });
  afterAll(async () => s?.close());

  it('$lastn returns the latest max readings per code for a patient', async () => {
    const reply = await s.fhir('GET', 'Observation/$lastn?patient=p2&max=2');
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    const byCode = new Map<string, string[]>();
    for (const entry of reply.json.entry) {
      const code = entry.resource.code.coding[0].code;
      byCode.set(code, [...(byCode.get(code) ?? []), entry.resource.id]);
    }
    expect(byCode.get('8867-4')).toEqual(['hrx', 'hrd3']);
    expect(byCode.get('local-1')).toEqual(['loc']);
    expect(byCode.get('8310-5')).toEqual(['temp2']);
    expect(byCode.get('85354-9')).toEqual(['bp2']);
    const filtered = await s.fhir('GET', 'Observation/$lastn?patient=Patient/p2&code=8867-4&max=3&date=lt2024-02-01T11:00:00Z');
    expect(filtered.json.entry.map((e: any) => e.resource.id)).toEqual(['hrd1', 'hrd0', 'hr3']);
    expect((await s.fhir('GET', 'Observation/$lastn?code=8867-4')).status).toBe(400);
  });

  it('$stats computes count, min, max, mean, median for a code and period, including components and unit conversion', async () => {
    const reply = await s.fhir('GET', 'Observation/$stats?subject=Patient/p2&code=8867-4&system=http://loinc.org&statistic=count,minimum,maximum,average,median&period-start=2024-02-01T09:00:00Z&period-end=2024-02-01T23:00:00Z');
    expect(reply.status, reply.text.slice(0, 400)).toBe(200);
    const stats = reply.json.parameter[0].resource;
    const value = (code: string) => stats.component.find((c: any) => c.code.coding[0].code === code).valueQuantity.value;
    expect(value('count')).toBe(4);
    expect(value('minimum')).toBe(60);
    expect(value('maximum')).toBe(90);
    expect(value('average')).toBe(75);
    expect(value('median')).toBe(75);
    // Systolic inside blood-pressure panels: bp1 140 mm[Hg] and bp2 16 kPa (≈ 120.0 mm[Hg]), both counted.
    const systolic = await s.fhir('POST', 'Observation/$stats', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'subject', valueUri: 'Patient/p1' },
        { name: 'coding', valueCoding: { system: LOINC, code: '8480-6' } },
        { name: 'statistic', valueCode: 'maximum' },
        { name: 'statistic', valueCode: 'count' },
      ],
    });
    expect(systolic.status, systolic.text.slice(0, 300)).toBe(200);
    const p1 = systolic.json.parameter[0].resource.component;
    expect(p1.find((c: any) => c.code.coding[0].code === 'maximum').valueQuantity).toMatchObject({ value: 140, code: 'mm[Hg]' });
    const both = await s.fhir('GET', 'Observation/$stats?subject=Patient/p2&code=8480-6&statistic=maximum');
    expect(both.json.parameter[0].resource.component[0].valueQuantity.value).toBe(16);
    expect((await s.fhir('GET', 'Observation/$stats?subject=Patient/p2&code=8867-4&statistic=mode')).status).toBe(400);
  });

  it('$everything returns the patient, their compartment and referenced resources, paged', async () => {
    const reply = await s.fhir('GET', 'Patient/p1/$everything');
    expect(reply.status).toBe(200);
    const matched = ids(reply);
    expect(matched).toEqual(expect.arrayContaining(['p1', 'hr1', 'hr2', 'temp1', 'bp1', 'e1', 'c1', 'ra1']));
    expect(matched).not.toContain('p2');
    expect(matched).not.toContain('hr3');
    const included = reply.json.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort();
    expect(included).toEqual(['org1', 'pr1']);
    const typed = await s.fhir('GET', 'Patient/p1/$everything?_type=Observation');
    expect(ids(typed)).toEqual(['bp1', 'hr1', 'hr2', 'temp1']);
    const seen: string[] = [];
    let page = await s.fhir('GET', 'Patient/p1/$everything?_count=3');
    for (;;) {
      seen.push(...ids(page));
      const next = page.json.link.find((l: any) => l.relation === 'next');
      if (!next) break;
      page = await s.fhir('GET', next.url.slice(next.url.indexOf('/fhir/') + 6));
    }
    expect(seen.sort()).toEqual(matched);
  });

  it('$everything on a Synthea patient returns every resource of its bundle', async () => {
    const hospital = syntheaFiles().find((f) => f.startsWith('0-hospital'))!;
    const practitioners = syntheaFiles().find((f) => f.startsWith('0-practitioner'))!;
    for (const file of [hospital, practitioners]) expect((await s.fhir('POST', '', readSynthea(file))).status).toBe(200);
    const file = syntheaFiles().filter((f) => !f.startsWith('0-'))[2];
    const source = JSON.parse(readSynthea(file));
    const reply = await s.fhir('POST', '', source);
    const patientIndex = source.entry.findIndex((e: any) => e.resource.resourceType === 'Patient');
    const patientId = reply.json.entry[patientIndex].response.location.split('/')[1];
    let page = await s.fhir('GET', `Patient/${patientId}/$everything?_count=1000`);
    let count = 0;
    for (;;) {
      count += ids(page).length;
      const next = page.json.link.find((l: any) => l.relation === 'next');
      if (!next) break;
      page = await s.fhir('GET', next.url.slice(next.url.indexOf('/fhir/') + 6));
    }
    // Synthea patient bundles hold only that patient's resources (organizations etc. are conditional references).
    expect(count).toBe(source.entry.length);
  });
});

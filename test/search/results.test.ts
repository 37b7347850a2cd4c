import { Client as FhirKitClient } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { ids, loadSearchDataset } from './dataset.ts';

const follow = (bundle: any, relation: string) => bundle.link.find((l: any) => l.relation === relation)?.url as string | undefined;
const pathOf = (url: string) => url.slice(url.indexOf('/fhir/') + 6);

describe('search results: sorting, paging, totals, includes, summaries', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite');
    await loadSearchDataset(s);
  });
  afterAll(async () => s?.close());

  it('_sort on several keys with -desc (§3.1.1.6 sorting)', async () => {
    // Dates are ranges: descending sorts by the latest instant a value covers, so temp1 ("2024-01-01",
    // the whole day) comes before hr1 (10:00 that day); ascending by the earliest, where temp1 and bp1
    // tie at midnight and the second key (_id) decides.
    const byDate = await s.fhir('GET', 'Observation?category=vital-signs&_sort=-date,_id');
    expect(byDate.json.entry.map((e: any) => e.resource.id)).toEqual(['temp2', 'hr3', 'bp2', 'hr2', 'temp1', 'hr1', 'bp1']);
    const ascending = await s.fhir('GET', 'Observation?category=vital-signs&_sort=date,-_id');
    expect(ascending.json.entry.map((e: any) => e.resource.id)).toEqual(['temp1', 'bp1', 'hr1', 'hr2', 'bp2', 'hr3', 'temp2']);
    const byName = await s.fhir('GET', 'Patient?_sort=family,-birthdate');
    expect(byName.json.entry.map((e: any) => e.resource.id)).toEqual(['p3', 'p1', 'p2']);
  });

  it('keyset paging: next links walk every match once, while new data arrives', async () => {
    const seen: string[] = [];
    let reply = await s.fhir('GET', 'Observation?_count=3');
    expect(reply.json.entry).toHaveLength(3);
    await s.fhir('PUT', 'Observation/late', { resourceType: 'Observation', id: 'late', status: 'final', code: { text: 'late' } });
    for (;;) {
      seen.push(...reply.json.entry.map((e: any) => e.resource.id));
      const next = follow(reply.json, 'next');
      if (!next) break;
      reply = await s.fhir('GET', pathOf(next));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['hr1', 'hr2', 'hr3', 'temp1', 'temp2', 'bp1', 'bp2', 'lab1', 'note1', 'late']));
    await s.fhir('DELETE', 'Observation/late');
  });

  it('sorted paging uses offsets with previous/next', async () => {
    const first = await s.fhir('GET', 'Observation?category=vital-signs&_sort=date,_id&_count=4');
    const second = await s.fhir('GET', pathOf(follow(first.json, 'next')!));
    expect([...first.json.entry, ...second.json.entry].map((e: any) => e.resource.id)).toEqual(['bp1', 'temp1', 'hr1', 'hr2', 'bp2', 'hr3', 'temp2']);
    expect(follow(second.json, 'previous')).toBeDefined();
  });

  it('_total: none by default, accurate and estimate on request; _summary=count', async () => {
    expect((await s.fhir('GET', 'Observation?code=8867-4')).json.total).toBeUndefined();
    expect((await s.fhir('GET', 'Observation?code=8867-4&_total=accurate')).json.total).toBe(3);
    expect(typeof (await s.fhir('GET', 'Observation?code=8867-4&_total=estimate')).json.total).toBe('number');
    const count = await s.fhir('GET', 'Patient?_summary=count');
    expect(count.json.total).toBe(3);
    expect(count.json.entry).toBeUndefined();
  });

  it('_include, _include:iterate and _revinclude', async () => {
    const included = await s.fhir('GET', 'Observation?_id=hr1&_include=Observation:patient&_include=Observation:performer');
    expect(included.json.entry.map((e: any) => `${e.search.mode}:${e.resource.resourceType}/${e.resource.id}`).sort()).toEqual(['include:Patient/p1', 'include:Practitioner/pr1', 'match:Observation/hr1']);
    const iterate = await s.fhir('GET', 'Observation?_id=hr3&_include=Observation:patient&_include:iterate=Patient:organization');
    expect(iterate.json.entry.map((e: any) => e.resource.id).sort()).toEqual(['hr3', 'org1', 'p2']);
    const reverse = await s.fhir('GET', 'Patient?_id=p3&_revinclude=Observation:subject');
    expect(reverse.json.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.id).sort()).toEqual(['lab1', 'note1']);
    const all = await s.fhir('GET', 'Encounter?_id=e1&_include=*');
    expect(all.json.entry.map((e: any) => e.resource.id).sort()).toEqual(['e1', 'org1', 'p1']);
  });

  it('_elements and _summary on search results are marked SUBSETTED', async () => {
    const reply = await s.fhir('GET', 'Patient?_id=p1&_elements=birthDate');
    const patient = reply.json.entry[0].resource;
    expect(patient.birthDate).toBe('1974-12-25');
    expect(patient.name).toBeUndefined();
    expect(patient.meta.tag.map((t: any) => t.code)).toContain('SUBSETTED');
  });

  it('POST _search with a form body equals GET', async () => {
    const post = await s.fhir('POST', 'Observation/_search', 'code=8867-4&subject=Patient/p1', { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(post.status).toBe(200);
    expect(ids(post)).toEqual(['hr1', 'hr2']);
  });

  it('system search with _type and compartment search', async () => {
    expect(ids(await s.fhir('GET', '?_type=Patient,Organization&_id=p1,org1'))).toEqual(['org1', 'p1']);
    expect(ids(await s.fhir('GET', 'Patient/p1/Observation'))).toEqual(['bp1', 'hr1', 'hr2', 'temp1']);
    expect(ids(await s.fhir('GET', 'Patient/p1/Observation?code=8867-4'))).toEqual(['hr1', 'hr2']);
    expect(ids(await s.fhir('GET', 'Patient/p1/*'))).toEqual(expect.arrayContaining(['bp1', 'c1', 'e1', 'hr1', 'ra1']));
  });

  it('unknown parameters: 400 by default; Prefer: handling=lenient ignores them and says so', async () => {
    const strict = await s.fhir('GET', 'Patient?colour=blue&family=chalmers');
    expect(strict.status).toBe(400);
    expect(strict.json.issue[0].expression).toEqual(['colour']);
    const lenient = await s.fhir('GET', 'Patient?colour=blue&family=chalmers', undefined, { Prefer: 'handling=lenient' });
    expect(lenient.status).toBe(200);
    expect(ids(lenient)).toEqual(['p1', 'p3']);
    const outcome = lenient.json.entry.find((e: any) => e.search.mode === 'outcome');
    expect(outcome.resource.issue[0].diagnostics).toContain('colour');
    const self = follow(lenient.json, 'self')!;
    expect(self).toContain('family=chalmers');
    expect(self).not.toContain('colour');
  });

  it('the Observation fast path gives the same answers as the general path', async () => {
    for (const query of ['patient=p1&code=8867-4', 'subject=Patient/p1&code=http://loinc.org|8867-4', 'patient=p1&code=8867-4&date=ge2024-01-02', 'patient=p2', 'subject=p2&date=lt2024-02-01T08:15:00Z']) {
      const fast = ids(await s.fhir('GET', `Observation?${query}`));
      // _sort forces the general path.
      const general = ids(await s.fhir('GET', `Observation?${query}&_sort=_id`));
      expect(fast, query).toEqual(general);
      expect(fast.length, query).toBeGreaterThan(0);
    }
  });

  it('works through a real client (fhir-kit-client)', async () => {
    const client = new FhirKitClient({ baseUrl: s.url });
    const bundle: any = await client.search({ resourceType: 'Observation', searchParams: { code: 'http://loinc.org|8867-4', _count: '2', _sort: '_id' } });
    expect(bundle.entry.map((e: any) => e.resource.id)).toEqual(['hr1', 'hr2']);
    const next: any = await client.nextPage({ bundle });
    expect(next.entry.map((e: any) => e.resource.id)).toEqual(['hr3']);
    const patient: any = await client.read({ resourceType: 'Patient', id: 'p2' });
    expect(patient.name[0].family).toBe('Müller');
    const created: any = await client.create({ resourceType: 'Patient', body: { resourceType: 'Patient', name: [{ family: 'Kit' }] } });
    expect((await client.search({ resourceType: 'Patient', searchParams: { family: 'kit' } }) as any).entry[0].resource.id).toBe(created.id);
  });
});

import { describe, expect, it } from 'vitest';
import { serverPerBackend } from '../helpers/server-per-backend.ts';
import type { Backend, TestServer } from '../helpers/test-server.ts';
import { ids, loadSearchDataset } from './dataset.ts';

/** http://hl7.org/fhir/R4/search.html §3.1.1.4 "Search Parameter Types", on both backends. */
describe.each(['pglite', 'postgres'] as Backend[])('search parameter types on %s', (backend) => {
  let s: TestServer;
  const suite = serverPerBackend(backend, (server) => (s = server), loadSearchDataset);
  const search = async (query: string) => {
    const reply = await s.fhir('GET', query);
    expect(reply.status, reply.text.slice(0, 300)).toBe(200);
    return ids(reply);
  };

  it('number: precision of the search value decides equality (§3.1.1.4.1)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('RiskAssessment?probability=0.25')).toEqual(['ra1']);
    // 0.3 means [0.25, 0.35): 0.25 is in; 0.2 means [0.15, 0.25): 0.25 is out.
    expect(await search('RiskAssessment?probability=0.3')).toEqual(['ra1']);
    expect(await search('RiskAssessment?probability=0.2')).toEqual([]);
    expect(await search('RiskAssessment?probability=gt0.5')).toEqual(['ra2']);
    expect(await search('RiskAssessment?probability=le0.25')).toEqual(['ra1']);
    expect(await search('RiskAssessment?probability=ne0.25')).toEqual(['ra2']);
    expect(await search('RiskAssessment?probability=ap0.82')).toEqual(['ra2']);
  });

  it('date: values are ranges compared by prefix (§3.1.1.4.2)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('Observation?date=2024-01-01')).toEqual(['bp1', 'hr1', 'temp1']);
    expect(await search('Observation?date=2024-01')).toEqual(['bp1', 'hr1', 'hr2', 'temp1']);
    expect(await search('Observation?date=2024-01-01T10:00:00Z')).toEqual(['hr1']);
    expect(await search('Observation?date=gt2024-01-31')).toEqual(['bp2', 'hr3', 'temp2']);
    expect(await search('Observation?date=lt2024-01-01')).toEqual(['lab1']);
    expect(await search('Observation?date=ge2024-02-01T08:30:00Z')).toEqual(['hr3', 'temp2']);
    expect(await search('Observation?date=le2023-06-30')).toEqual(['lab1']);
    expect(await search('Observation?date=sa2024-01-01T00:30:00Z&subject=Patient/p1')).toEqual(['hr1', 'hr2']);
    expect(await search('Observation?date=eb2024-01-01T05:00:00Z')).toEqual(['bp1', 'lab1']);
    expect(await search('Observation?date=ge2024-01-01&date=lt2024-01-02')).toEqual(['bp1', 'hr1', 'temp1']);
    // Periods: an ongoing encounter (no end) overlaps everything after its start.
    expect(await search('Encounter?date=gt2030-01-01')).toEqual(['e2']);
    expect(await search('Encounter?date=2024-01-01T10:00:00Z')).toEqual([]);
    expect(await search('Encounter?date=2024-01-01')).toEqual(['e1']);
    expect(await search('Patient?birthdate=2001-05-05')).toEqual([]);
    expect(await search('Patient?birthdate=2001')).toEqual(['p3']);
  });

  it('string: case- and accent-insensitive prefix; :exact and :contains (§3.1.1.4.3)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('Patient?family=chal')).toEqual(['p1', 'p3']);
    expect(await search('Patient?family=MULLER')).toEqual(['p2']);
    expect(await search('Patient?name=peter')).toEqual(['p1']);
    expect(await search('Patient?name=james')).toEqual(['p1']);
    expect(await search('Patient?family:exact=Chalmers')).toEqual(['p1', 'p3']);
    expect(await search('Patient?family:exact=chalmers')).toEqual([]);
    expect(await search('Patient?family:contains=alm')).toEqual(['p1', 'p3']);
    expect(await search('Patient?address-city=pleasant')).toEqual(['p1']);
    expect(await search('Patient?address=3999')).toEqual(['p1']);
    expect(await search('Patient?name=chal,müll')).toEqual(['p1', 'p2', 'p3']);
  });

  it('uri: exact, :below and :above (§3.1.1.4.4)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('ValueSet?url=http://example.org/ValueSet/hr-and-temp')).toEqual(['vs-hr-temp']);
    expect(await search('ValueSet?url=http://example.org/ValueSet')).toEqual([]);
    expect(await search('ValueSet?url:below=http://example.org/ValueSet')).toEqual(['vs-hr-temp']);
    expect(await search('ValueSet?url:above=http://example.org/ValueSet/hr-and-temp/version/2')).toEqual(['vs-hr-temp']);
  });

  it('token: code, system|code, |code, system| and implied systems (§3.1.1.4.5)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('Observation?code=8867-4')).toEqual(['hr1', 'hr2', 'hr3']);
    expect(await search('Observation?code=http://loinc.org|8867-4')).toEqual(['hr1', 'hr2', 'hr3']);
    expect(await search('Observation?code=urn:iso:std:iso:11073:10101|147842')).toEqual(['hr2']);
    expect(await search('Observation?code=http://snomed.info/sct|8867-4')).toEqual([]);
    expect(await search('Observation?code=|8867-4')).toEqual([]);
    expect(await search('Observation?code=urn:iso:std:iso:11073:10101|')).toEqual(['hr2']);
    expect(await search('Patient?identifier=urn:mrn|12345')).toEqual(['p1']);
    expect(await search('Patient?identifier=67890')).toEqual(['p2']);
    expect(await search('Patient?gender=female')).toEqual(['p2', 'p3']);
    expect(await search('Patient?gender=http://hl7.org/fhir/administrative-gender|male')).toEqual(['p1']);
    expect(await search('Patient?active=true')).toEqual(['p1']);
    expect(await search('Patient?deceased=true')).toEqual(['p3']);
    expect(await search('Patient?phone=555-0101')).toEqual(['p1']);
    expect(await search('Observation?status=final,preliminary&code=8867-4')).toEqual(['hr1', 'hr2', 'hr3']);
  });

  it('quantity: UCUM-normalized comparison across units (§3.1.1.4.6)', async (t) => {
    if (suite.absent) return t.skip();
    // 99.5 [degF] is 37.5 Cel: both temperatures are above 37 Cel, and the °F one is found in °F too.
    expect(await search('Observation?value-quantity=gt37|http://unitsofmeasure.org|Cel')).toEqual(['temp1', 'temp2']);
    expect(await search('Observation?value-quantity=37.5|http://unitsofmeasure.org|Cel')).toEqual(['temp1', 'temp2']);
    expect(await search('Observation?value-quantity=lt99|http://unitsofmeasure.org|[degF]')).toEqual([]);
    expect(await search('Observation?value-quantity=gt100|http://unitsofmeasure.org|/min')).toEqual(['hr2']);
    // 16 kPa ≈ 120 mmHg: a systolic above 110 mm[Hg] finds the kPa reading.
    expect(await search('Observation?component-value-quantity=gt110|http://unitsofmeasure.org|mm[Hg]')).toEqual(['bp1', 'bp2']);
    expect(await search('Observation?component-value-quantity=lt15|http://unitsofmeasure.org|kPa')).toEqual(['bp1']);
    // Without a system, the unit matches code or unit text as written; precision follows the value.
    expect(await search('Observation?value-quantity=1.5||g/L')).toEqual(['lab1']);
    expect(await search('Observation?value-quantity=72||/min')).toEqual(['hr1']);
    expect(await search('Observation?value-quantity=ap90||/min')).toEqual(['hr3']);
    expect(await search('Observation?value-quantity=ap100||/min')).toEqual([]);
  });

  it('reference: Type/id, id, absolute local URL and :Type (§3.1.1.4.7)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('Observation?subject=Patient/p2')).toEqual(['bp2', 'hr3', 'temp2']);
    expect(await search('Observation?subject=p2')).toEqual(['bp2', 'hr3', 'temp2']);
    expect(await search(`Observation?subject=${encodeURIComponent(s.baseUrl + '/Patient/p2')}`)).toEqual(['bp2', 'hr3', 'temp2']);
    expect(await search('Observation?subject:Patient=p2')).toEqual(['bp2', 'hr3', 'temp2']);
    expect(await search('Observation?subject:Group=p2')).toEqual([]);
    expect(await search('Observation?patient=p3')).toEqual(['lab1', 'note1']);
    expect(await search('Patient?organization=Organization/org1')).toEqual(['p1', 'p2']);
  });

  it('composite: code and value from the same element (§3.1.1.4.8)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('Observation?code-value-quantity=http://loinc.org|8867-4$gt100')).toEqual(['hr2']);
    expect(await search('Observation?code-value-quantity=8310-5$gt37|http://unitsofmeasure.org|Cel')).toEqual(['temp1', 'temp2']);
    // Systolic > 130 mmHg: bp1 (140). bp2 has 140 only as its diastolic, which must not pair with the systolic code.
    expect(await search('Observation?component-code-value-quantity=http://loinc.org|8480-6$gt130|http://unitsofmeasure.org|mm[Hg]')).toEqual(['bp1']);
    expect(await search('Observation?component-code-value-quantity=http://loinc.org|8462-4$gt130|http://unitsofmeasure.org|mm[Hg]')).toEqual(['bp2']);
    expect(await search('Observation?combo-code-value-quantity=8867-4$lt80,8480-6$gt130')).toEqual(['bp1', 'hr1']);
    const wrong = await s.fhir('GET', 'Observation?code-value-quantity=8867-4');
    expect(wrong.status).toBe(400);
  });

  it('special parameters common to all resources: _id, _lastUpdated, _tag, _profile, _security, _source (§3.1.1.1)', async (t) => {
    if (suite.absent) return t.skip();
    expect(await search('Patient?_id=p1,p3')).toEqual(['p1', 'p3']);
    expect(await search('Patient?_tag=urn:tags|study-a')).toEqual(['p1']);
    expect(await search('Patient?_profile=http://example.org/StructureDefinition/my-patient')).toEqual(['p1']);
    expect(await search('Patient?_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|N')).toEqual(['p1']);
    expect(await search('Patient?_source=urn:source:device-gateway')).toEqual(['p1']);
    expect(await search('Patient?_lastUpdated=gt2000-01-01')).toEqual(['p1', 'p2', 'p3']);
    expect(await search('Patient?_lastUpdated=lt2000-01-01')).toEqual([]);
  });
});

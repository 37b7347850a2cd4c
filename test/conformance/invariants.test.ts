import { describe, expect, it } from 'vitest';
import { validateResource, type ValidationIssue } from '../../conformance/validate.ts';
import { errorAt, errors, observation, patient } from './issues.ts';

function invariantIssues(issues: ValidationIssue[], key: string): ValidationIssue[] {
  return issues.filter((issue) => issue.diagnostics.includes(`constraint ${key} failed`));
}

describe('resource invariants (FHIRPath)', () => {
  it('obs-7: a component may not repeat the code of the Observation when a value is given', () => {
    const code = { coding: [{ system: 'http://loinc.org', code: '85354-9' }] };
    const bad = observation({ code, valueString: 'x', component: [{ code, valueString: 'y' }] });
    const issue = errorAt(validateResource(bad), 'Observation');
    expect(issue).toMatchObject({ severity: 'error', code: 'invariant', kind: 'rule' });
    expect(issue.diagnostics).toContain('obs-7');
    const good = observation({ code, component: [{ code, valueString: 'y' }] });
    expect(errors(validateResource(good))).toEqual([]);
  });

  it('obs-6: no dataAbsentReason next to a value', () => {
    const issues = validateResource(observation({ valueString: 'x', dataAbsentReason: { text: 'n/a' } }));
    expect(invariantIssues(issues, 'obs-6')).toHaveLength(1);
  });

  it('pat-1 on Patient.contact: name, telecom, address or organization', () => {
    const issues = validateResource(patient({ contact: [{ name: { family: 'Doe' } }, { gender: 'female' }] }));
    const issue = errorAt(issues, 'Patient.contact[1]');
    expect(issue.diagnostics).toContain('pat-1');
    expect(issue).toMatchObject({ code: 'invariant', kind: 'rule' });
  });

  it('qty-3 on data types: a Quantity code needs a system', () => {
    const issue = errorAt(validateResource(observation({ valueQuantity: { value: 1, code: 'kg' } })), 'Observation.value.ofType(Quantity)');
    expect(issue.diagnostics).toContain('qty-3');
  });

  it('per-1: a Period may not end before it starts (date comparison)', () => {
    const period = (start: string, end: string) => validateResource(observation({ effectivePeriod: { start, end } }));
    expect(errorAt(period('2024-06-02T00:00:00Z', '2024-06-01T00:00:00Z'), 'Observation.effective.ofType(Period)').diagnostics).toContain('per-1');
    expect(errors(period('2024-06-01T00:00:00Z', '2024-06-01T00:00:00.500Z'))).toEqual([]);
    // Time zones are taken into account: 10:00+02:00 is before 09:00Z.
    expect(errors(period('2024-06-01T10:00:00+02:00', '2024-06-01T09:00:00Z'))).toEqual([]);
    // Different precisions that overlap are undecided in FHIRPath, hence not an error.
    expect(errors(period('2024-06', '2024-06-01'))).toEqual([]);
    expect(errors(period('2024-06-01', '2024-06-01T10:00:00Z'))).toEqual([]);
  });

  it('ras-1 on RiskAssessment probabilities: decimals pass, a Range must be in percent', () => {
    const assessment = (prediction: Record<string, unknown>) =>
      validateResource({ resourceType: 'RiskAssessment', text: patient().text, status: 'final', subject: { reference: 'Patient/p' }, prediction: [prediction] });
    expect(errors(assessment({ outcome: { text: 'deterioration' }, probabilityDecimal: 0.12 }))).toEqual([]);
    const percent = { low: { value: 10, system: 'http://unitsofmeasure.org', code: '%' }, high: { value: 20, system: 'http://unitsofmeasure.org', code: '%' } };
    expect(errors(assessment({ probabilityRange: percent }))).toEqual([]);
    const wrong = { ...percent, high: { value: 0.2, system: 'http://unitsofmeasure.org', code: '1' } };
    const issue = errorAt(assessment({ probabilityRange: wrong }), 'RiskAssessment.prediction[0].probability.ofType(Range)');
    expect(issue.diagnostics).toContain('ras-1');
  });

  it('reports warning-level constraints as warnings', () => {
    // dom-6: a resource should have narrative (warning).
    const { text, ...noNarrative } = patient();
    expect(text).toBeDefined();
    const issues = validateResource(noNarrative);
    expect(errors(issues)).toEqual([]);
    const warning = invariantIssues(issues, 'dom-6');
    expect(warning).toEqual([{ severity: 'warning', code: 'invariant', kind: 'rule', diagnostics: expect.stringContaining('narrative'), expression: ['Patient'] }]);
  });

  it('only evaluates invariants of elements that are present', () => {
    // con-1 applies to Condition.stage, which is absent here.
    const issues = validateResource({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, text: patient().text });
    expect(invariantIssues(issues, 'con-1')).toEqual([]);
    const withStage = validateResource({ resourceType: 'Condition', subject: { reference: 'Patient/p' }, stage: [{ type: { text: 'x' } }] });
    expect(invariantIssues(withStage, 'con-1')).toHaveLength(1);
  });

  it('evaluates Bundle invariants over the entries (bdl-7 unique fullUrls)', () => {
    const entry = { fullUrl: 'http://x.org/fhir/Patient/a', resource: patient({ id: 'a' }) };
    const issues = validateResource({ resourceType: 'Bundle', type: 'collection', entry: [entry, entry] });
    expect(errorAt(issues, 'Bundle').diagnostics).toContain('bdl-7');
    expect(errors(validateResource({ resourceType: 'Bundle', type: 'history', entry: [entry, entry].map((e) => ({ ...e, request: { method: 'PUT', url: 'Patient/a' }, response: { status: '200' } })) }))).toEqual([]);
  });

  it('uses the corrected expression of que-7 (answer is boolean), as later FHIR versions publish it', () => {
    const questionnaire = {
      resourceType: 'Questionnaire',
      status: 'draft',
      item: [
        { linkId: 'a', type: 'boolean' },
        { linkId: 'b', type: 'string', enableWhen: [{ question: 'a', operator: 'exists', answerBoolean: true }] },
      ],
    };
    expect(invariantIssues(validateResource(questionnaire), 'que-7')).toEqual([]);
    const wrong = structuredClone(questionnaire);
    (wrong.item[1].enableWhen as unknown[])[0] = { question: 'a', operator: 'exists', answerString: 'yes' };
    expect(invariantIssues(validateResource(wrong), 'que-7')).toHaveLength(1);
  });
});

describe('contained resources (dom-2 .. dom-5)', () => {
  const contained = (resource: Record<string, unknown>, referenced = true) =>
    validateResource(observation({ contained: [resource], ...(referenced ? { subject: { reference: '#p' } } : {}) }));

  it('dom-3: a contained resource must be referenced', () => {
    const issue = errorAt(contained({ resourceType: 'Patient', id: 'p' }, false), 'Observation.contained[0]');
    expect(issue).toMatchObject({ code: 'invariant', kind: 'rule' });
    expect(issue.diagnostics).toContain('dom-3');
    expect(errors(contained({ resourceType: 'Patient', id: 'p' }))).toEqual([]);
  });

  it('dom-2: no nested contained resources', () => {
    const issues = contained({ resourceType: 'Patient', id: 'p', contained: [{ resourceType: 'Organization', id: 'o' }], managingOrganization: { reference: '#o' } });
    expect(invariantIssues(issues, 'dom-2')).toHaveLength(1);
  });

  it('dom-4 and dom-5: no versionId, lastUpdated or security labels on contained resources', () => {
    const issues = contained({ resourceType: 'Patient', id: 'p', meta: { versionId: '1', security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] } });
    expect(invariantIssues(issues, 'dom-4')).toHaveLength(1);
    expect(invariantIssues(issues, 'dom-5')).toHaveLength(1);
  });
});

describe('narrative (txt-1, txt-2)', () => {
  const withDiv = (div: string) => validateResource(patient({ text: { status: 'generated', div } }));

  it('requires an XHTML div in the XHTML namespace', () => {
    expect(errorAt(withDiv('<div>Jane</div>'), 'Patient.text.div')).toMatchObject({ code: 'value', kind: 'structure' });
    expect(errorAt(withDiv('<p xmlns="http://www.w3.org/1999/xhtml">Jane</p>'), 'Patient.text.div').kind).toBe('structure');
  });

  it('txt-1: no scripts, forms or event handlers', () => {
    const script = errorAt(withDiv('<div xmlns="http://www.w3.org/1999/xhtml">Jane<script>alert(1)</script></div>'), 'Patient.text.div');
    expect(script.diagnostics).toContain('txt-1');
    errorAt(withDiv('<div xmlns="http://www.w3.org/1999/xhtml"><a href="#" onclick="x()">Jane</a></div>'), 'Patient.text.div');
    expect(errors(withDiv('<div xmlns="http://www.w3.org/1999/xhtml"><p style="color:red">Jane <b>Doe</b></p></div>'))).toEqual([]);
  });

  it('txt-2: whitespace-only narrative is reported as a warning', () => {
    const issues = withDiv('<div xmlns="http://www.w3.org/1999/xhtml">\n  </div>');
    expect(errors(issues)).toEqual([]);
    expect(invariantIssues(issues, 'txt-2').map((i) => i.severity)).toEqual(['warning']);
  });
});

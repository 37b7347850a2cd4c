import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';

describe('bad input gets a FHIR OperationOutcome with the right status', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite', { MAX_BODY_BYTES: String(256 * 1024) });
  });
  afterAll(async () => s?.close());

  const isOutcome = (reply: { json: any; text: string }) => reply.json?.resourceType === 'OperationOutcome' && !/\bat .+\.ts:\d+/.test(reply.text);

  it.each([
    ['malformed JSON', 'POST', 'Patient', '{"resourceType":"Patient",', { 'Content-Type': 'application/fhir+json' }, 400],
    ['duplicate JSON property', 'POST', 'Patient', '{"resourceType":"Patient","gender":"male","gender":"female"}', { 'Content-Type': 'application/fhir+json' }, 400],
    ['unknown element', 'POST', 'Patient', '{"resourceType":"Patient","colour":"blue"}', { 'Content-Type': 'application/fhir+json' }, 400],
    ['wrong primitive type', 'POST', 'Patient', '{"resourceType":"Patient","active":"yes"}', { 'Content-Type': 'application/fhir+json' }, 400],
    ['unknown resource type', 'GET', 'Unicorn/1', undefined, {}, 404],
    ['unknown id', 'GET', 'Patient/nobody', undefined, {}, 404],
    ['invalid id', 'GET', 'Patient/bad$id!', undefined, {}, 400],
    ['method not allowed', 'DELETE', 'metadata', undefined, {}, 405],
    ['XML body', 'POST', 'Patient', '<Patient xmlns="http://hl7.org/fhir"/>', { 'Content-Type': 'application/fhir+xml' }, 415],
    ['XML wanted', 'GET', 'metadata', undefined, { Accept: 'application/fhir+xml' }, 406],
    ['business rule (required binding)', 'POST', 'Patient', '{"resourceType":"Patient","gender":"robot"}', { 'Content-Type': 'application/fhir+json' }, 422],
    ['unknown search parameter', 'GET', 'Patient?colour=blue', undefined, {}, 400],
    ['bad search value', 'GET', 'Patient?birthdate=notadate', undefined, {}, 400],
    ['bad _count', 'GET', 'Patient?_count=lots', undefined, {}, 400],
    ['non-Bundle posted to base', 'POST', '', '{"resourceType":"Patient"}', { 'Content-Type': 'application/fhir+json' }, 400],
    ['unknown operation', 'POST', 'Patient/$teleport', '{}', { 'Content-Type': 'application/fhir+json' }, 404],
    ['malformed percent-encoding', 'GET', 'Patient?name=%E0%A4%A', undefined, {}, 200],
    ['path outside /fhir', 'GET', '../elsewhere', undefined, {}, 404],
  ])('%s', async (_name, method, path, body, headers, status) => {
    const reply = await s.fhir(method, path, body, headers as Record<string, string>);
    expect(reply.status).toBe(status);
    if (status >= 400) expect(isOutcome(reply)).toBe(true);
  });

  it('names the offending element with a FHIRPath expression', async () => {
    const reply = await s.fhir('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'ok' }, { given: [42] }] });
    expect(reply.status).toBe(400);
    expect(reply.json.issue.some((i: any) => i.expression?.[0] === 'Patient.name[1].given[0]')).toBe(true);
  });

  it('refuses bodies over MAX_BODY_BYTES with 413 and keeps serving', async () => {
    const big = JSON.stringify({ resourceType: 'Patient', text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(300 * 1024)}</div>` } });
    const reply = await s.fhir('POST', 'Patient', big);
    expect(reply.status).toBe(413);
    expect(isOutcome(reply)).toBe(true);
    expect((await s.fhir('GET', 'metadata')).status).toBe(200);
  });

  it('survives deeply nested and hostile JSON', async () => {
    const deep = `{"resourceType":"Patient","extension":${'['.repeat(50_000)}${']'.repeat(50_000)}}`;
    const reply = await s.fhir('POST', 'Patient', deep);
    expect(reply.status).toBe(400);
    const proto = await s.fhir('POST', 'Patient', '{"resourceType":"Patient","__proto__":{"admin":true}}');
    expect(proto.status).toBe(400);
    expect(({} as any).admin).toBeUndefined();
  });

  it('stays healthy under thousands of malformed requests (fuzz)', async () => {
    const methods = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
    const paths = fc.oneof(
      fc.constantFrom('Patient', 'Patient/1', 'Observation', '', 'Patient/_history', 'Patient/1/_history/x', '$validate', 'Patient/$validate', '_search'),
      fc.string({ maxLength: 40 }).map((p) => encodeURIComponent(p)),
      fc.tuple(fc.constantFrom('Patient?', 'Observation?', '?'), fc.string({ maxLength: 30 })).map(([a, b]) => a + encodeURIComponent(b).replace(/%3D/g, '=')),
    );
    const bodies = fc.oneof(
      fc.json({ maxDepth: 6 }),
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify({ resourceType: 'Patient', name: v })),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' }, resource: v }] })),
    );
    const memoryBefore = process.memoryUsage().rss;
    let requests = 0;
    await fc.assert(
      fc.asyncProperty(methods, paths, bodies, async (method, path, body) => {
        requests++;
        const withBody = method !== 'GET' && method !== 'DELETE';
        const reply = await s.fhir(method, path, withBody ? body : undefined);
        if (reply.status >= 500) throw new Error(`${method} ${path} → ${reply.status}: ${reply.text.slice(0, 300)}`);
        if (reply.status >= 400 && reply.json !== undefined) expect(reply.json.resourceType).toBe('OperationOutcome');
      }),
      { numRuns: 2000 },
    );
    expect(requests).toBe(2000);
    expect((await s.fhir('GET', 'metadata')).status).toBe(200);
    expect(process.memoryUsage().rss - memoryBefore).toBeLessThan(512 * 1024 * 1024);
  }, 240_000);
});

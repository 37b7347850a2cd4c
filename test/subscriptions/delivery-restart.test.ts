import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { fhirRequest, tempDir } from '../helpers/test-server.ts';
import { heartRate } from '../risk/vital-signs.ts';
import { eventually, Receiver } from './receiver.ts';

const dataDir = tempDir('subscriptions-restart');
const env = {
  DATA_DIR: dataDir,
  PROVENANCE: 'off',
  RISK_SCORING: 'off',
  SUBSCRIPTION_RETRY_BASE_MS: '200',
  SUBSCRIPTION_RETRY_MAX_MS: '800',
  SUBSCRIPTION_POLL_MS: '100',
};
let receiver: Receiver | undefined;
let child: ChildServer | undefined;

afterAll(async () => {
  await child?.kill();
  await receiver?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('rest-hook delivery across a restart', () => {
  it('keeps retrying a down endpoint, survives kill -9, and delivers in order once the endpoint is back', async () => {
    receiver = await Receiver.start(Number.POSITIVE_INFINITY);
    child = await startChildServer(env);
    const fhir = (method: string, path: string, body?: unknown) => fhirRequest(child!.url, method, path, body);
    await fhir('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1' });
    await fhir('PUT', 'Subscription/hr', {
      resourceType: 'Subscription',
      id: 'hr',
      status: 'requested',
      reason: 'restart test',
      criteria: 'Observation?code=http://loinc.org|8867-4',
      channel: { type: 'rest-hook', endpoint: `${receiver.url}/fhir`, payload: 'application/fhir+json' },
    });
    await eventually(async () => (await fhir('GET', 'Subscription/hr')).json, (s) => s.status === 'active');
    await fhir('PUT', 'Observation/hr-1', heartRate('hr-1', 'p1', '2024-03-01T10:00:00Z', 80));
    await fhir('PUT', 'Observation/hr-2', heartRate('hr-2', 'p1', '2024-03-01T10:01:00Z', 82));
    const failing = await eventually(async () => (await fhir('GET', 'Subscription/hr')).json, (s) => s.status === 'error');
    expect(failing.error).toContain('HTTP 503');
    await eventually(async () => receiver!.failures, (n) => n >= 2);

    expect(await child.kill('SIGKILL')).toBe(null);
    receiver.failFirst = receiver.failures;
    child = await startChildServer(env);
    await receiver.waitFor(2);
    expect(receiver.received.map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /fhir/Observation/hr-1', 'PUT /fhir/Observation/hr-2']);
    expect(JSON.parse(receiver.received[1].body).valueQuantity.value).toBe(82);
    const recovered = await eventually(async () => (await fhir('GET', 'Subscription/hr')).json, (s) => s.status === 'active');
    expect(recovered.error).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SUBSCRIPTIONS_CONSUMER } from '../../server/subscriptions/subscription-feature.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { settle } from '../risk/consumer-settle.ts';
import { heartRate, NORMAL, putBundle, vitalSet } from '../risk/vital-signs.ts';
import { eventually, Receiver } from './receiver.ts';

type Json = Record<string, any>;

let s: TestServer;
let receiver: Receiver;

function subscription(id: string, criteria: string, channel: Json): Json {
  return { resourceType: 'Subscription', id, status: 'requested', reason: 'test', criteria, channel };
}

const read = async (id: string) => (await s.fhir('GET', `Subscription/${id}`)).json;

beforeAll(async () => {
  receiver = await Receiver.start();
  s = await startTestServer('pglite', { PROVENANCE: 'off', SUBSCRIPTION_RETRY_BASE_MS: '100', SUBSCRIPTION_POLL_MS: '100' });
  await s.fhir('PUT', 'Patient/p1', { resourceType: 'Patient', id: 'p1', gender: 'male' });
});
afterAll(async () => {
  await s?.close();
  await receiver?.close();
});

describe('R4 Subscriptions', () => {
  it('activates valid subscriptions and puts invalid ones in error with the reason', async () => {
    await s.fhir('PUT', 'Subscription/hr', subscription('hr', 'Observation?code=http://loinc.org|8867-4', { type: 'rest-hook', endpoint: `${receiver.url}/hook`, header: ['Authorization: Bearer abc'] }));
    await s.fhir('PUT', 'Subscription/bad', subscription('bad', 'Observation?colour=blue', { type: 'rest-hook', endpoint: `${receiver.url}/hook` }));
    await s.fhir('PUT', 'Subscription/mail', subscription('mail', 'Observation', { type: 'email', endpoint: 'mailto:a@example.org' }));
    expect((await eventually(() => read('hr'), (r) => r.status !== 'requested')).status).toBe('active');
    const bad = await eventually(() => read('bad'), (r) => r.status !== 'requested');
    expect(bad.status).toBe('error');
    expect(bad.error).toContain("criteria 'Observation?colour=blue'");
    expect(bad.error).toContain('colour');
    const mail = await eventually(() => read('mail'), (r) => r.status !== 'requested');
    expect(mail.error).toBe('Invalid subscription: channel type email is not supported (rest-hook, websocket)');
    await s.fhir('PUT', 'Subscription/sorted', subscription('sorted', 'Observation?_sort=date', { type: 'websocket' }));
    expect((await eventually(() => read('sorted'), (r) => r.status !== 'requested')).error).toBe(
      "Invalid subscription: criteria 'Observation?_sort=date': _sort shapes search results and has no meaning in criteria",
    );
    await s.fhir('PUT', 'Subscription/ended', { ...subscription('ended', 'Observation', { type: 'websocket' }), end: '2020-01-01T00:00:00Z' });
    expect((await eventually(() => read('ended'), (r) => r.status !== 'requested')).status).toBe('off');
    // Fixed by the client: reviewed again and activated.
    await s.fhir('PUT', 'Subscription/bad', subscription('bad', 'Observation?code=http://loinc.org|9279-1', { type: 'rest-hook', endpoint: `${receiver.url}/hook` }));
    const fixed = await eventually(() => read('bad'), (r) => r.status !== 'requested');
    expect(fixed.status).toBe('active');
    expect(fixed.error).toBeUndefined();
  });

  it('notifies a rest-hook with an empty POST and the channel headers, only for matching resources', async () => {
    const before = receiver.received.length;
    await s.fhir('PUT', 'Observation/t-1', { ...heartRate('t-1', 'p1', '2024-03-01T10:00:00Z', 80) });
    await s.fhir('PUT', 'Observation/t-2', { ...heartRate('t-2', 'p1', '2024-03-01T10:00:00Z', 80), code: { coding: [{ system: 'http://loinc.org', code: '8310-5' }] } });
    await receiver.waitFor(before + 1);
    await settle(s.server.outbox, SUBSCRIPTIONS_CONSUMER);
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ method: 'POST', path: '/hook', body: '' });
    expect(got[0].headers.authorization).toBe('Bearer abc');
  });

  it('sends the resource with a payload: PUT [endpoint]/[type]/[id]', async () => {
    await s.fhir('PUT', 'Subscription/full', subscription('full', 'Observation?code=http://loinc.org|9279-1&subject=Patient/p1', { type: 'rest-hook', endpoint: `${receiver.url}/fhir`, payload: 'application/fhir+json' }));
    await eventually(() => read('full'), (r) => r.status === 'active');
    const before = receiver.received.length;
    const [rr] = vitalSet('p1', 'u', '2024-03-01T10:05:00Z');
    await s.fhir('PUT', `Observation/${rr.id}`, rr);
    // Two subscriptions match RR now: 'bad' (empty POST) and 'full'.
    await receiver.waitFor(before + 2);
    const full = receiver.received.slice(before).find((r) => r.method === 'PUT')!;
    expect(full.path).toBe('/fhir/Observation/u-rr');
    expect(full.headers['content-type']).toBe('application/fhir+json');
    const sent = JSON.parse(full.body);
    expect(sent).toEqual((await s.fhir('GET', 'Observation/u-rr')).json);
  });

  it('retries a failing endpoint with backoff, records the error on the Subscription, then recovers', async () => {
    const before = receiver.received.length;
    receiver.failFirst = receiver.failures + 3;
    await s.fhir('PUT', 'Observation/t-3', heartRate('t-3', 'p1', '2024-03-01T11:00:00Z', 90));
    const failing = await eventually(() => read('hr'), (r) => r.status === 'error');
    expect(failing.error).toMatch(/^rest-hook delivery failing since \S+: HTTP 503 Service Unavailable; retrying with backoff$/);
    await receiver.waitFor(before + 1);
    expect(receiver.failures).toBe(receiver.failFirst);
    const recovered = await eventually(() => read('hr'), (r) => r.status === 'active');
    expect(recovered.error).toBeUndefined();
    expect(receiver.received.slice(before).filter((r) => r.path === '/hook')).toHaveLength(1);
  });

  it('pings websocket clients bound to a subscription', async () => {
    await s.fhir('PUT', 'Subscription/ws', subscription('ws', 'RiskAssessment?qualitativeRisk=high', { type: 'websocket' }));
    await eventually(() => read('ws'), (r) => r.status === 'active');
    const socket = new WebSocket(`${s.url.replace(/^http/, 'ws').replace(/\/fhir$/, '')}/websocket`);
    const messages: string[] = [];
    socket.on('message', (m) => messages.push(m.toString()));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send('bind nope');
    socket.send('bind ws');
    await eventually(async () => messages, (m) => m.includes('bound ws'));
    expect(messages[0]).toBe('error nope no such Subscription');
    // NEWS2 7 or more → RiskAssessment with qualitativeRisk high → ping.
    await s.fhir('POST', '', putBundle(vitalSet('p1', 'w', '2024-03-01T12:00:00Z', { ...NORMAL, rr: 26, sbp: 95, hr: 115 })));
    await eventually(async () => messages, (m) => m.includes('ping ws'));
    socket.close();
  });

  it('goes idle: its own status writes do not feed it', async () => {
    const head = await settle(s.server.outbox, SUBSCRIPTIONS_CONSUMER);
    await new Promise((r) => setTimeout(r, 600));
    expect(await s.server.outbox.headSeq()).toBe(head);
  });
});

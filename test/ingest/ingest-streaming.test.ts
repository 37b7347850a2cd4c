import { once } from 'node:events';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { BLE_MAC_SYSTEM, count, entryStatuses, hr, ingest, outcomeText, readingLines, registerDevice, startIngestServer, totals } from './ingest-helpers.ts';

interface Reply {
  status: number;
  text: string;
  json: any;
}

const PIECE = 64 * 1024;

async function replyOf(res: http.IncomingMessage): Promise<Reply> {
  const parts: Buffer[] = [];
  for await (const part of res) parts.push(part as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return { status: res.statusCode!, text, json: text ? JSON.parse(text) : undefined };
}

/** A POST with chunked transfer encoding that the test writes piece by piece; `response` settles as soon as the server answers. */
function openUpload(url: string, pathAndQuery: string, contentType: string, agent?: http.Agent) {
  const req = http.request(`${url}/${pathAndQuery}`, { method: 'POST', agent, headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked', Accept: 'application/fhir+json' } });
  let answered = false;
  const response = new Promise<Reply>((resolve, reject) => {
    req.once('response', (res) => {
      answered = true;
      replyOf(res).then(resolve, reject);
    });
    req.once('error', reject);
  });
  // A write after the answer may meet a closed connection; the answer is what the tests look at.
  response.catch(() => {});
  const write = async (bytes: Buffer) => {
    for (let at = 0; at < bytes.length; at += PIECE) {
      if (req.destroyed) return;
      // Node's client stops emitting 'drain' once the response has ended, so flow control waits only until the answer.
      if (!req.write(bytes.subarray(at, at + PIECE)) && !answered) await Promise.race([once(req, 'drain'), response]);
      // Let each piece go out on its own, so the server sees the body arrive over time.
      await sleep(1);
    }
  };
  return { req, response, write };
}

async function postChunked(url: string, pathAndQuery: string, body: string, contentType: string): Promise<Reply> {
  const upload = openUpload(url, pathAndQuery, contentType);
  await upload.write(Buffer.from(body));
  upload.req.end();
  return upload.response;
}

/** A response entry without its status: what must match between the first upload (201) and the repeat (200). */
const located = (entry: any) => ({ fullUrl: entry.fullUrl, location: entry.response.location, etag: entry.response.etag, lastModified: entry.response.lastModified });

describe('$ingest reads its body as a stream', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startIngestServer('stream-p', 'stream-d', 'AA-BB-CC-00-44-01');
  }, 60_000);
  afterAll(async () => s?.close());

  it('takes 10,000 readings as a JSON array and as NDJSON uploaded in 64 KB chunks; the same body sent at once gets the same answer', async () => {
    const cases: Array<[string, string, string]> = [
      ['application/json', 'mapping=ble-gatt', `[\n${readingLines('AA:BB:CC:00:44:01', 10_000, Date.UTC(2025, 7, 1)).join(',\n')}\n]`],
      // No ?mapping: the first payload names it.
      ['application/x-ndjson', '', readingLines('AA:BB:CC:00:44:01', 10_000, Date.UTC(2025, 7, 2)).join('\r\n')],
    ];
    for (const [contentType, query, body] of cases) {
      expect(body.length).toBeGreaterThan(10 * PIECE);
      const before = await count(s.fhir, 'Observation?device=Device/stream-d');
      const streamed = await postChunked(s.url, `$ingest${query ? `?${query}` : ''}`, body, contentType);
      expect(streamed.status, streamed.text.slice(0, 500)).toBe(200);
      expect(entryStatuses(streamed.json)).toEqual(Array(10_000).fill('201 Created'));
      expect(await count(s.fhir, 'Observation?device=Device/stream-d')).toBe(before + 10_000);

      const atOnce = await ingest(s.fhir, body, query, contentType);
      expect(atOnce.status, atOnce.text.slice(0, 500)).toBe(200);
      expect(entryStatuses(atOnce.json)).toEqual(Array(10_000).fill('200 OK'));
      expect(atOnce.json.entry.map(located)).toEqual(streamed.json.entry.map(located));
      expect(await count(s.fhir, 'Observation?device=Device/stream-d')).toBe(before + 10_000);
    }
  }, 240_000);

  it('answers an early malformed payload with 400 and its line and column before the upload ends; nothing is written and the connection stays usable', async () => {
    const before = await totals(s);
    const bad = '{"characteristic":"2A37","value":"00 48",}';
    const rest = readingLines('AA:BB:CC:00:44:01', 5_000, Date.UTC(2025, 7, 3));
    const body = Buffer.from(`[\n${JSON.stringify(hr('AA:BB:CC:00:44:01', 60, '2025-08-03T00:00:00Z'))},\n${bad},\n${rest.join(',\n')}\n]`);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const upload = openUpload(s.url, '$ingest?mapping=ble-gatt', 'application/json', agent);
      await upload.write(body.subarray(0, PIECE));
      const reply = await upload.response;
      expect(upload.req.writableEnded).toBe(false);
      expect(reply.status).toBe(400);
      expect(reply.json.resourceType).toBe('OperationOutcome');
      expect(reply.json.issue[0].location).toEqual([`payload $ (line 3, column ${bad.length})`]);
      expect(reply.json.issue[0].diagnostics).toMatch(/Malformed JSON: Expected a property name in double quotes/);
      // The client sends the rest after all: the server drops it, and the same connection takes the next request.
      await upload.write(body.subarray(PIECE));
      upload.req.end();
      await once(upload.req, 'close');
      const next = http.request(`${s.url}/metadata`, { agent, headers: { Accept: 'application/fhir+json' } });
      next.end();
      const [res] = (await once(next, 'response')) as [http.IncomingMessage];
      expect((await replyOf(res)).status).toBe(200);
      expect(next.reusedSocket).toBe(true);
    } finally {
      agent.destroy();
    }

    // An unsupported characteristic early in NDJSON: answered early too; this client gives up and closes.
    const ndjson = [JSON.stringify({ characteristic: '2A99', value: '00', deviceId: 'AA:BB:CC:00:44:01', timestamp: '2025-08-04T00:00:00Z' }), ...rest].join('\n');
    const upload = openUpload(s.url, '$ingest?mapping=ble-gatt', 'application/x-ndjson');
    await upload.write(Buffer.from(ndjson).subarray(0, PIECE));
    const refused = await upload.response;
    expect(refused.status).toBe(400);
    expect(outcomeText(refused.json)).toMatch(/payload\[0\] \$\.characteristic/);
    upload.req.destroy();

    expect(await totals(s)).toBe(before);
    const after = await ingest(s.fhir, JSON.stringify(hr('AA:BB:CC:00:44:01', 61, '2025-08-05T00:00:00Z')), 'mapping=ble-gatt');
    expect(after.status, after.text).toBe(200);
  }, 60_000);

  it('asks the authorization policy before reading the body: a denied upload gets 403 while it is still sending', async () => {
    const policy = s.server.services.authorization;
    const asked: string[] = [];
    s.server.services.authorization = {
      authorize: (request) => {
        asked.push(`${request.interaction} ${request.operation ?? ''}`);
        return request.operation === 'ingest' ? { effect: 'deny', reason: 'this client may not ingest' } : { effect: 'allow' };
      },
    };
    try {
      const before = await totals(s);
      const upload = openUpload(s.url, '$ingest?mapping=ble-gatt', 'application/json');
      await upload.write(Buffer.from(`[${readingLines('AA:BB:CC:00:44:01', 1_000, Date.UTC(2025, 7, 7)).join(',')}`));
      const reply = await upload.response;
      expect(upload.req.writableEnded).toBe(false);
      expect(reply.status).toBe(403);
      expect(asked).toContain('operation ingest');
      upload.req.end(']');
      expect(await totals(s)).toBe(before);
    } finally {
      s.server.services.authorization = policy;
    }
  });

  it('refuses a streamed body that grows past MAX_BODY_BYTES with 413, writing nothing', async () => {
    const small = await startTestServer('pglite', { PROVENANCE: 'off', RISK_SCORING: 'off', MAX_BODY_BYTES: String(256 * 1024) });
    try {
      await registerDevice(small.fhir, 'big-p', 'big-d', BLE_MAC_SYSTEM, 'AA-BB-CC-00-44-02');
      const before = await totals(small);
      const body = `[${readingLines('AA:BB:CC:00:44:02', 4_000, Date.UTC(2025, 7, 6)).join(',')}]`;
      expect(body.length).toBeGreaterThan(256 * 1024);
      expect(body.length).toBeLessThan(2 * 256 * 1024);
      const reply = await postChunked(small.url, '$ingest?mapping=ble-gatt', body, 'application/json');
      expect(reply.status).toBe(413);
      expect(reply.json.issue[0].code).toBe('too-long');
      expect(await totals(small)).toBe(before);
      expect((await small.fhir('GET', 'metadata')).status).toBe(200);
    } finally {
      await small.close();
    }
  }, 60_000);
});

/** BLE gateway payloads for the ingest benches: 100 devices, heart-rate readings one second apart. */
export const DEVICES = 100;
const BASE_TIME = Date.UTC(2025, 0, 1);
let clock = 0;

/** A JSON array of `count` Heart Rate Measurement payloads; each reading gets its own second, so none is deduplicated away. */
export function readings(count: number): string {
  const items: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = clock++;
    const mac = `AA:BB:CC:00:00:${(n % DEVICES).toString(16).padStart(2, '0')}`;
    items.push(`{"characteristic":"2A37","value":"00 ${(50 + (n % 80)).toString(16).padStart(2, '0')}","deviceId":"${mac}","timestamp":"${new Date(BASE_TIME + n * 1000).toISOString()}"}`);
  }
  return `[${items.join(',')}]`;
}

/** A transaction Bundle that registers the readings' devices, each linked to its own patient. */
export function devicesBundle(): string {
  const entry = [];
  for (let d = 0; d < DEVICES; d++) {
    entry.push({ request: { method: 'PUT', url: `Patient/bench-p${d}` }, resource: { resourceType: 'Patient', id: `bench-p${d}`, name: [{ family: `Bench${d}` }] } });
    entry.push({
      request: { method: 'PUT', url: `Device/bench-d${d}` },
      resource: { resourceType: 'Device', id: `bench-d${d}`, identifier: [{ system: 'http://hl7.org/fhir/sid/eui-48/bluetooth', value: `AA-BB-CC-00-00-${d.toString(16).toUpperCase().padStart(2, '0')}` }], patient: { reference: `Patient/bench-p${d}` } },
    });
  }
  return JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry });
}

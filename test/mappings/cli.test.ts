import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MS_SAMPLES, MS_TEST_INPUT, REPO_ROOT } from './fixture-paths.ts';

const BIN = path.join(REPO_ROOT, 'bin', 'vitalchain.mjs');

function cli(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, input, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('vitalchain map', () => {
  it('maps a payload with a built-in mapping and prints Observations and issues', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitalchain-map-'));
    const payload = path.join(dir, 'hr.json');
    fs.writeFileSync(payload, '{"characteristic":"2A37","value":"00 55","deviceId":"AA:BB:CC:DD:EE:01","timestamp":"2024-05-01T10:00:00+02:00","patient":"Patient/p1"}');
    const { code, stdout, stderr } = cli(['map', '--mapping', 'ble-gatt', '--measurements', payload]);
    expect(code).toBe(0);
    const output = JSON.parse(stdout);
    expect(output.observations[0].valueQuantity).toEqual({ value: 85, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' });
    expect(output.measurements[0].type).toBe('heart-rate');
    expect(stderr).toMatch(/1 observation\(s\), 0 error\(s\)/);
  });

  it('runs imported MedTech templates and exits 1 with located issues on a bad payload', () => {
    const ok = cli(['map', '--mapping', path.join(MS_TEST_INPUT, 'data_IotJsonPathContentTemplateValid.json'), '--fhir-mapping', path.join(MS_TEST_INPUT, 'data_CodeValueFhirTemplate_SampledData.json'), path.join(MS_TEST_INPUT, 'data_IotHubPayloadExample.json')]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).observations[0].valueSampledData.period).toBe(5000);
    expect(ok.stderr).toMatch(/Unit 'bpm' is not valid UCUM; '\/min' is used {2}\[template at fhir\.template\.value\.unit line 15, column 7\]/);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitalchain-map-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{\n  "characteristic": "2A37",\n  "value": "zz",\n  "deviceId": "d1"\n}');
    const failed = cli(['map', '--mapping', 'ble-gatt', bad]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/error +invalid +'value' must be a hex string.*\[payload 0 at \$\.value\]/);
    const malformed = cli(['map', '--mapping', path.join(MS_SAMPLES, 'basic/devicecontent.json'), '--fhir-mapping', path.join(MS_SAMPLES, 'basic/fhirmapping.json'), bad]);
    expect(malformed.code).toBe(0);
    expect(malformed.stderr).toMatch(/No measurements were produced/);
  });

  it('prints usage and exits 2 without a mapping', () => {
    const { code, stderr } = cli(['map', 'payload.json']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/usage: vitalchain map --mapping/);
  });
});

describe('vitalchain mappings test', () => {
  it('passes the committed golden cases', () => {
    const output = execFileSync(process.execPath, [BIN, 'mappings', 'test', 'test/mappings/golden'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(output).toMatch(/4 passed, 0 failed/);
  });

  it('exits non-zero and names the difference when an expected Observation differs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitalchain-golden-'));
    fs.cpSync(path.join(REPO_ROOT, 'test/mappings/golden'), dir, { recursive: true });
    const expectedFile = path.join(dir, 'omh-body-temperature/expected.json');
    // 36.6 is not 36.60: decimal precision is part of the expected output.
    fs.writeFileSync(expectedFile, fs.readFileSync(expectedFile, 'utf8').replace('"value": 36.60', '"value": 36.6'));
    const { code, stdout } = cli(['mappings', 'test', dir]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/FAIL {2}omh-body-temperature\n {6}observations differ at \$\[0\]\.valueQuantity\.value: expected 36\.6, got 36\.60/);
    expect(stdout).toMatch(/3 passed, 1 failed/);
  });

  it('fails a case whose expected error is not reported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vitalchain-golden-'));
    fs.cpSync(path.join(REPO_ROOT, 'test/mappings/golden/ble-truncated-value'), path.join(dir, 'case'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'case/payload.json'), '{"characteristic": "2A35", "value": "00 78 00 50 00 5D 00", "deviceId": "cuff-9", "timestamp": "2024-05-01T10:00:00Z"}');
    const { code, stdout } = cli(['mappings', 'test', dir]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/expected issue not reported: error invalid/);
    expect(stdout).toMatch(/observations differ at \$\[0\]: unexpected/);
  });
});

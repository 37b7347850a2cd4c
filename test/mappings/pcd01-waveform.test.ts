import { describe, expect, it } from 'vitest';
import { ihePcd01Mapping } from '../../mappings/builtin/ihe-pcd01.ts';
import { mapPayload } from '../../mappings/map-payloads.ts';
import type { MappingIssue } from '../../mappings/issue.ts';
import { obx, plethRows, WCM_DEVICE, WCM_PATIENT, wcmMessage, type ObxFields } from './wcm-messages.ts';

type Json = Record<string, any>;

// The messages are synthesised (no NA fixture exists in ../shared): see wcm-messages.ts.
function map(rows: ObxFields[], controlId?: string, time?: string) {
  return mapPayload(ihePcd01Mapping, { index: 0, format: 'hl7v2', body: wcmMessage(rows, controlId, time) });
}

const byCode = (observations: Json[], code: string) => observations.find((o) => o.code.coding.some((c: Json) => c.code === code));
const errors = (issues: Json[]) => issues.filter((i) => i.severity === 'error');

describe('IHE PCD-01 waveforms (WCM NA rows)', () => {
  it('maps an NA pleth with its sample-period facet to one SampledData Observation', () => {
    const result = map(plethRows('512^520^531^546^560'));
    expect(errors(result.issues)).toEqual([]);
    expect(result.observations).toHaveLength(1);
    const pleth = result.observations[0] as Json;
    expect(pleth.code.coding).toEqual([{ system: 'urn:iso:std:iso:11073:10101', code: '150452', display: 'MDC_PULS_OXIM_PLETH' }]);
    expect(pleth.category).toBeUndefined();
    // The facet says 0.008 s (MDC_DIM_SEC): the period is written in ms.
    expect(pleth.valueSampledData).toEqual({
      origin: { value: 0, unit: '1', system: 'http://unitsofmeasure.org', code: '1' },
      period: 8,
      dimensions: 1,
      data: '512 520 531 546 560',
    });
    // OBX-14 is the first sample; 5 samples every 8 ms cover 40 ms (the uv-pocd sample-array convention).
    expect(pleth.effectivePeriod).toEqual({ start: '2024-03-01T12:00:00.000+01:00', end: '2024-03-01T12:00:00.040+01:00' });
    expect(pleth.device).toEqual({ identifier: WCM_DEVICE });
    expect(pleth.subject).toEqual({ identifier: WCM_PATIENT });
    expect(pleth.status).toBe('final');
    expect(pleth.identifier[0].value).toBe(`${WCM_DEVICE.system}|${WCM_DEVICE.value}|mdc-sampled:150452|20240301T110000Z/20240301T110000.040Z`);
    // The facet row is part of the waveform, not a reading of its own.
    expect(result.measurements).toHaveLength(1);
  });

  it('writes missing samples as E, reads HL7 numbers as FHIR decimals and keeps their digits', () => {
    const pleth = map(plethRows('12^^+15.50^.5^ ^007')).observations[0] as Json;
    expect(pleth.valueSampledData.data).toBe('12 E 15.50 0.5 E 7');
    const garbled = map(plethRows('12^abc^14'));
    expect((garbled.observations[0] as Json).valueSampledData.data).toBe('12 E 14');
    expect(garbled.issues.find((i) => i.severity === 'warning')).toMatchObject({ code: 'value', location: { path: 'OBX[4]-5' } });
  });

  it('reads a sample rate given as code 0 with its reference id, a data range (L/U) and microsecond or Hz units', () => {
    const lead = [
      obx('NA', '131329^MDC_ECG_ELEC_POTL_I^MDC', '1.2.1.1', '-0.53^0.25^-6^11^^1.05', '266418^MDC_DIM_MILLI_VOLT^MDC', { time: '20240301120000.000+0100' }),
      obx('NM', '0^MDC_ATTR_SAMP_RATE^MDC', '1.2.1.1.1', '250', '264640^MDC_DIM_HZ^MDC'),
      obx('NR', '0^MDC_ATTR_DATA_RANGE^MDC', '1.2.1.1.2', '-5^10', '266418^MDC_DIM_MILLI_VOLT^MDC'),
    ];
    const result = map(lead);
    expect(errors(result.issues)).toEqual([]);
    const ecg = result.observations[0] as Json;
    expect(ecg.code.coding[0]).toEqual({ system: 'urn:iso:std:iso:11073:10101', code: '131329', display: 'MDC_ECG_ELEC_POTL_I' });
    expect(ecg.valueSampledData).toEqual({
      origin: { value: 0, unit: 'mV', system: 'http://unitsofmeasure.org', code: 'mV' },
      period: 4,
      lowerLimit: -5,
      upperLimit: 10,
      dimensions: 1,
      data: '-0.53 0.25 L U E 1.05',
    });
    expect(ecg.effectivePeriod.end).toBe('2024-03-01T12:00:00.024+01:00');

    const micro = map(plethRows('1^2', '8000|264339^MDC_DIM_MICRO_SEC^MDC')).observations[0] as Json;
    expect(micro.valueSampledData.period).toBe(8);
    const plain = map(plethRows('1^2', '8|ms')).observations[0] as Json;
    expect(plain.valueSampledData.period).toBe(8);
  });

  it('turns a scale-range facet into origin and factor', () => {
    const rows = [
      obx('NA', '150084^MDC_PRESS_BLD_VEN_CENT^MDC', '1.3.1.1', '0^2048^4095', '266016^MDC_DIM_MMHG^MDC', { time: '20240301120000+0100' }),
      obx('NM', '67981^MDC_ATTR_TIME_PD_SAMP^MDC', '1.3.1.1.1', '8', '264338^MDC_DIM_MILLI_SEC^MDC'),
      obx('NM', '67951^MDC_ATTR_SCALE_SPECN_I16^MDC', '1.3.1.1.2', '-40^360^0^4000', '266016^MDC_DIM_MMHG^MDC'),
    ];
    const cvp = map(rows).observations[0] as Json;
    expect(cvp.valueSampledData).toMatchObject({ origin: { value: -40, code: 'mm[Hg]' }, period: 8, factor: 0.1, data: '0 2048 4095' });
  });

  it('warns of an NA without a sample period at its OBX, maps the rest and no Observation for it', () => {
    const rows = [
      obx('NM', '147842^MDC_ECG_HEART_RATE^MDC', '1.2.1.1', '72', '264864^MDC_DIM_BEAT_PER_MIN^MDC', { time: '20240301120000+0100' }),
      obx('NA', '150452^MDC_PULS_OXIM_PLETH^MDC', '1.1.1.1', '1^2^3', '262656^MDC_DIM_DIMLESS^MDC', { time: '20240301120000+0100' }),
      obx('NM', '0^MDC_ATTR_NU_MSMT_RES^MDC', '1.1.1.1.1', '0.5', '262656^MDC_DIM_DIMLESS^MDC'),
    ];
    const result = map(rows);
    expect(errors(result.issues)).toEqual([]);
    expect(result.issues.filter((issue: MappingIssue) => issue.severity === 'warning')).toEqual([
      {
        severity: 'warning',
        code: 'incomplete',
        diagnostics: expect.stringMatching(/^Waveform 150452 \(MDC_PULS_OXIM_PLETH\) has no sample period: no facet OBX at 1\.1\.1\.1\.n with MDC_ATTR_TIME_PD_SAMP/),
        location: { source: 'payload', path: 'OBX[3]-4', line: 6, payloadIndex: 0 },
      },
    ]);
    expect(result.observations.map((o: Json) => o.code.coding[0].code)).toEqual(['8867-4']);
    const zero = map(plethRows('1^2', '0|264338^MDC_DIM_MILLI_SEC^MDC'));
    expect(errors(zero.issues)[0]).toMatchObject({ code: 'value', location: { path: 'OBX[5]-6' } });
    expect(zero.observations).toEqual([]);
  });

  it('maps NM and NA rows of one message, each with the device, patient, status and flags NM rows get', () => {
    const rows = [
      obx('', '69798^MDC_DEV_ECG_VMD^MDC', '1.2.0.0'),
      obx('NM', '147842^MDC_ECG_HEART_RATE^MDC', '1.2.1.1', '72', '264864^MDC_DIM_BEAT_PER_MIN^MDC', { time: '20240301120000+0100', status: 'R' }),
      obx('NA', '131330^MDC_ECG_ELEC_POTL_II^MDC', '1.2.1.2', '0.1^0.2', 'mV', { time: '20240301120000+0100', status: 'R', flags: 'QUES' }),
      obx('NM', '0^MDC_ATTR_SAMP_RATE^MDC', '1.2.1.2.1', '500'),
      ...plethRows('10^11^12'),
    ];
    const result = map(rows);
    expect(errors(result.issues)).toEqual([]);
    expect(result.observations).toHaveLength(3);
    const heartRate = byCode(result.observations, '8867-4')!;
    const lead = byCode(result.observations, '131330')!;
    const pleth = byCode(result.observations, '150452')!;
    expect(heartRate.valueQuantity.value).toBe(72);
    expect(lead.valueSampledData).toMatchObject({ origin: { code: 'mV' }, period: 2, data: '0.1 0.2' });
    expect([lead.status, lead.interpretation[0].coding[0].code]).toEqual(['preliminary', 'questionable']);
    expect(pleth.valueSampledData.data).toBe('10 11 12');
    for (const observation of [heartRate, lead, pleth]) {
      expect(observation.device).toEqual({ identifier: WCM_DEVICE });
      expect(observation.subject).toEqual({ identifier: WCM_PATIENT });
    }
  });

  it('gives a re-sent waveform the same identifier, whatever offset its times are written in', () => {
    const first = map(plethRows('1^2^3')).observations[0] as Json;
    const again = map(plethRows('1^2^3', undefined, '20240301110000.000+0000'), 'WCM-2', '20240301110000+0000').observations[0] as Json;
    expect(again.identifier).toEqual(first.identifier);
  });
});

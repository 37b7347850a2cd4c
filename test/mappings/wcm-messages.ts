/**
 * Synthesised IHE PCD-01 ORU^R01 messages with Waveform Content Module (WCM) rows. ../shared holds
 * no NA fixture, so these follow the supplement's layout as public WCM senders write it: MDS /
 * VMD / channel rows, one NA row per channel with its samples as OBX-5 components, and facet rows
 * one containment level below it (NA at 1.1.1.1, facets at 1.1.1.1.n). Invented device, patient
 * and samples; not a real monitor's output.
 */
export const WCM_DEVICE_EUI = '0123456789ABCDEF';
export const WCM_DEVICE = { system: 'urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2680', value: '01-23-45-67-89-AB-CD-EF' };
export const WCM_PATIENT = { system: 'urn:vitalchain:patient-id:Imaginary%20Hospital', value: '789567' };

/** OBX fields 2 onward (value type, code, sub-id, value, unit, …); the set id is numbered by wcmMessage. */
export type ObxFields = string[];

export function obx(valueType: string, code: string, subId: string, value = '', unit = '', more: { flags?: string; status?: string; time?: string } = {}): ObxFields {
  return [valueType, code, subId, value, unit, '', more.flags ?? '', '', '', more.status ?? 'F', '', '', more.time ?? ''];
}

/** A pleth NA row with its sample-period facet, the row pair every WCM pleth channel carries. */
export function plethRows(samples: string, period = '0.008|264320^MDC_DIM_SEC^MDC', time = '20240301120000.000+0100'): ObxFields[] {
  const [periodValue, periodUnit] = period.split('|');
  return [
    obx('', '69642^MDC_DEV_ANALY_SAT_O2_VMD^MDC', '1.1.0.0'),
    obx('', '69643^MDC_DEV_ANALY_SAT_O2_CHAN^MDC', '1.1.1.0'),
    obx('NA', '150452^MDC_PULS_OXIM_PLETH^MDC', '1.1.1.1', samples, '262656^MDC_DIM_DIMLESS^MDC', { time }),
    obx('NM', '67981^MDC_ATTR_TIME_PD_SAMP^MDC', '1.1.1.1.1', periodValue, periodUnit),
  ];
}

export function wcmMessage(rows: ObxFields[], controlId = 'WCM-1', time = '20240301120000+0100'): string {
  const segments = [
    `MSH|^~\\&|AcmeMonitor^ACDE48234567ABCD^EUI-64||||${time}||ORU^R01^ORU_R01|${controlId}|P|2.6|||NE|AL|||||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO`,
    'PID|||789567^^^Imaginary Hospital^PI||Doe^John',
    `OBR|1|${controlId}^AcmeMonitor^ACDE48234567ABCD^EUI-64|${controlId}^AcmeMonitor^ACDE48234567ABCD^EUI-64|69121^MDC_OBS_WAVE_CTS^MDC|||${time}`,
    `OBX|1||69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC|1.0.0.0|||||||X|||||||${WCM_DEVICE_EUI}^EUI-64`,
    ...rows.map((fields, index) => `OBX|${index + 2}|${fields.join('|')}`.replace(/\|+$/, '')),
  ];
  return segments.join('\r');
}

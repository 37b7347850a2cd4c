/**
 * A timestamptz expression as the ISO instant text FHIR uses (UTC, milliseconds), formatted by the
 * database: read by the thousand, a timestamptz column costs the driver a Date parse per row that
 * would only be formatted again.
 */
export function isoInstantSql(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

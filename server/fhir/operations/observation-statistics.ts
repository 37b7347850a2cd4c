/** Summary statistics over a list of numbers, as Observation/$stats reports them. */
export interface Statistics {
  count: number;
  minimum?: number;
  maximum?: number;
  average?: number;
  median?: number;
  'std-dev'?: number;
  sum?: number;
  variance?: number;
}

export function summarize(values: number[]): Statistics {
  const count = values.length;
  if (count === 0) return { count };
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, v) => total + v, 0);
  const average = sum / count;
  const middle = Math.floor(count / 2);
  const median = count % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  // Sample variance (n − 1), as spreadsheets and R report it; undefined for a single value.
  const variance = count > 1 ? sorted.reduce((total, v) => total + (v - average) ** 2, 0) / (count - 1) : undefined;
  return {
    count,
    minimum: sorted[0],
    maximum: sorted[count - 1],
    average,
    median,
    sum,
    variance,
    'std-dev': variance === undefined ? undefined : Math.sqrt(variance),
  };
}

/** Codes of http://hl7.org/fhir/observation-statistics this server computes. */
export const STATISTIC_CODES = ['count', 'minimum', 'maximum', 'average', 'median', 'std-dev', 'sum', 'variance'] as const;

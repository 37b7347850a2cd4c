import { SaxesParser } from 'saxes';
import { PayloadError } from '../issue.ts';

/** One HealthKit export element: a top-level Record, or a Correlation with the Records it groups. */
export interface HealthRecord {
  element: 'Record' | 'Correlation';
  attributes: Record<string, string>;
  metadata: Record<string, string>;
  records?: HealthRecord[];
  /** 1-based line of the element in export.xml. */
  line: number;
}

/** Record types that HealthKit also writes inside correlations (BP halves, food nutrients). */
const CORRELATED_TYPES = /^HKQuantityTypeIdentifier(BloodPressureSystolic|BloodPressureDiastolic|Dietary)/;

function key(record: HealthRecord): string {
  const a = record.attributes;
  return `${a.type}|${a.sourceName}|${a.startDate}|${a.endDate}|${a.value}|${a.unit}`;
}

/**
 * Streams an Apple Health `export.xml` (HealthKit Export Version 3, often hundreds of MB) into
 * records without building a document: saxes is fed chunk by chunk and finished records are
 * handed out after each chunk. The export's DTD says records inside a Correlation also appear as
 * top-level records, so top-level records of correlated types are held back and dropped when a
 * correlation repeats them; only the unmatched ones come out at the end.
 */
export class AppleHealthReader {
  private readonly parser = new SaxesParser({ position: true });
  private readonly ready: HealthRecord[] = [];
  private readonly held = new Map<string, HealthRecord[]>();
  private correlation: HealthRecord | undefined;
  private current: HealthRecord | undefined;
  private failure: PayloadError | undefined;

  constructor() {
    const parser = this.parser;
    parser.on('error', (error) => {
      this.failure ??= new PayloadError(`Malformed export.xml: ${error.message}`, `line ${parser.line}`, 'structure', parser.line, parser.column);
    });
    parser.on('opentag', (tag) => {
      const attributes: Record<string, string> = {};
      for (const [name, value] of Object.entries(tag.attributes)) attributes[name] = typeof value === 'string' ? value : value.value;
      if (tag.name === 'Correlation') this.correlation = { element: 'Correlation', attributes, metadata: {}, records: [], line: parser.line };
      else if (tag.name === 'Record') this.current = { element: 'Record', attributes, metadata: {}, line: parser.line };
      else if (tag.name === 'MetadataEntry' && attributes.key !== undefined) {
        const owner = this.current ?? this.correlation;
        if (owner) owner.metadata[attributes.key] = attributes.value ?? '';
      }
    });
    parser.on('closetag', (tag) => {
      if (tag.name === 'Record' && this.current) this.closeRecord(this.current);
      else if (tag.name === 'Correlation' && this.correlation) {
        for (const inner of this.correlation.records!) this.held.get(key(inner))?.pop();
        this.ready.push(this.correlation);
        this.correlation = undefined;
      }
    });
  }

  private closeRecord(record: HealthRecord): void {
    this.current = undefined;
    if (this.correlation) this.correlation.records!.push(record);
    else if (CORRELATED_TYPES.test(record.attributes.type ?? '')) {
      const k = key(record);
      if (!this.held.has(k)) this.held.set(k, []);
      this.held.get(k)!.push(record);
    } else this.ready.push(record);
  }

  /** Feeds a chunk; returns the records completed by it. */
  write(chunk: string): HealthRecord[] {
    this.parser.write(chunk);
    if (this.failure) throw this.failure;
    return this.ready.splice(0);
  }

  /** Ends the document; returns the last records and the correlated halves no correlation claimed. */
  end(): HealthRecord[] {
    this.parser.close();
    if (this.failure) throw this.failure;
    const out = this.ready.splice(0);
    for (const list of this.held.values()) out.push(...list);
    return out;
  }
}

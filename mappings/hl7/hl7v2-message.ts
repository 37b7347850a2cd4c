import { PayloadError } from '../issue.ts';

/**
 * Minimal HL7 v2 reader: segments (CR, LF or CRLF separated — IPF's PCD-01 files use CRLF, the
 * standard says CR), fields, repetitions, components and subcomponents with the encoding
 * characters MSH declares, escape sequences decoded. Every value keeps its segment index and
 * line so issues can say `OBX[3]-5 (line 6)`.
 */
export interface Hl7Segment {
  name: string;
  /** 1-based occurrence of this segment name within the message (OBX[3]). */
  occurrence: number;
  /** 1-based line within the request body. */
  line: number;
  /** fields[n] is field n (MSH: fields[1] is the field separator itself, as in the standard's numbering). */
  fields: string[];
}

export interface Hl7Message {
  segments: Hl7Segment[];
  encoding: { field: string; component: string; repetition: string; escape: string; subcomponent: string };
}

export function parseHl7Message(text: string, firstLine = 1): Hl7Message {
  const lines = text.split(/\r\n|\r|\n/);
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0 || !lines[first]!.startsWith('MSH')) throw new PayloadError('An HL7 v2 message must start with an MSH segment', 'MSH', 'structure', firstLine);
  const msh = lines[first]!;
  if (msh.length < 8) throw new PayloadError('MSH segment too short to declare the encoding characters', 'MSH-2', 'structure', firstLine + first);
  const field = msh[3]!;
  const encodingChars = msh.slice(4, 8);
  const encoding = { field, component: encodingChars[0]!, repetition: encodingChars[1]!, escape: encodingChars[2]!, subcomponent: encodingChars[3]! };
  const counts = new Map<string, number>();
  const segments: Hl7Segment[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const name = line.slice(0, 3);
    if (!/^[A-Z][A-Z0-9]{2}$/.test(name) || (line.length > 3 && line[3] !== field)) {
      throw new PayloadError(`Line is not an HL7 segment: ${JSON.stringify(line.slice(0, 20))}`, `line ${firstLine + index}`, 'structure', firstLine + index);
    }
    const parts = line.split(field);
    // MSH-1 is the field separator; shift so fields[n] is MSH-n.
    const fields = name === 'MSH' ? ['MSH', field, ...parts.slice(1)] : parts;
    const occurrence = (counts.get(name) ?? 0) + 1;
    counts.set(name, occurrence);
    segments.push({ name, occurrence, line: firstLine + index, fields });
  });
  return { segments, encoding };
}

/** Field n of a segment, undefined when empty. */
export function field(segment: Hl7Segment, n: number): string | undefined {
  const value = segment.fields[n];
  return value === undefined || value === '' ? undefined : value;
}

export function repetitions(message: Hl7Message, value: string | undefined): string[] {
  return value === undefined ? [] : value.split(message.encoding.repetition).filter((part) => part !== '');
}

/** Components of a field (or repetition), decoded; components[0] is component 1. */
export function components(message: Hl7Message, value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(message.encoding.component).map((part) => unescape(message, part));
}

export function subcomponents(message: Hl7Message, value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(message.encoding.subcomponent);
}

/** Decodes \F\ \S\ \T\ \R\ \E\ escapes; other escape sequences (formatting, hex) are dropped. */
export function unescape(message: Hl7Message, text: string): string {
  const e = message.encoding;
  if (!text.includes(e.escape)) return text;
  const pattern = new RegExp(`\\${e.escape}([^\\${e.escape}]*)\\${e.escape}`, 'g');
  return text.replace(pattern, (_, code: string) => {
    switch (code) {
      case 'F':
        return e.field;
      case 'S':
        return e.component;
      case 'T':
        return e.subcomponent;
      case 'R':
        return e.repetition;
      case 'E':
        return e.escape;
      default:
        return '';
    }
  });
}

/** HL7 DTM `YYYY[MM[DD[HH[MM[SS[.S+]]]]]][+/-ZZZZ]` → FHIR dateTime; local times without offset use `timeZone` or UTC. */
export function hl7DateTime(text: string | undefined): { value: string; hasOffset: boolean } | undefined {
  if (!text) return undefined;
  const match = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if (!month || !day) return { value: month ? `${year}-${month}` : year!, hasOffset: false };
  if (!hour) return { value: `${year}-${month}-${day}`, hasOffset: false };
  const time = `${hour}:${minute ?? '00'}:${second ?? '00'}${fraction ?? ''}`;
  const zone = offset ? `${offset.slice(0, 3)}:${offset.slice(3)}` : 'Z';
  return { value: `${year}-${month}-${day}T${time}${zone === '+00:00' ? 'Z' : zone}`, hasOffset: !!offset };
}

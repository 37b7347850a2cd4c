import { PayloadError } from '../issue.ts';
import { decodeFloat, decodeSfloat, type IeeeFloat } from './ieee-float.ts';

export interface GattDateTime {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
}

/**
 * Little-endian reader over a characteristic value that names the byte range of every field it
 * reads, so a truncated value is reported as `value[5..6]: Blood Pressure Measurement pulse rate
 * expected` rather than a generic out-of-range error.
 */
export class GattReader {
  private offset = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly characteristic: string,
  ) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  private take(length: number, field: string): number {
    if (this.offset + length > this.bytes.length) {
      const range = `value[${this.offset}..${this.offset + length - 1}]`;
      throw new PayloadError(`${this.characteristic}: ${field} expected at bytes ${this.offset}..${this.offset + length - 1} but the value has ${this.bytes.length} bytes (flags announce more fields than were sent)`, `$.${range}`);
    }
    const at = this.offset;
    this.offset += length;
    return at;
  }

  uint8(field: string): number {
    return this.bytes[this.take(1, field)]!;
  }

  uint16(field: string): number {
    const at = this.take(2, field);
    return this.bytes[at]! | (this.bytes[at + 1]! << 8);
  }

  sint16(field: string): number {
    const value = this.uint16(field);
    return value >= 0x8000 ? value - 0x10000 : value;
  }

  uint24(field: string): number {
    const at = this.take(3, field);
    return this.bytes[at]! | (this.bytes[at + 1]! << 8) | (this.bytes[at + 2]! << 16);
  }

  sfloat(field: string): IeeeFloat {
    return decodeSfloat(this.uint16(field));
  }

  float(field: string): IeeeFloat {
    const at = this.take(4, field);
    const raw = (this.bytes[at]! | (this.bytes[at + 1]! << 8) | (this.bytes[at + 2]! << 16) | (this.bytes[at + 3]! << 24)) >>> 0;
    return decodeFloat(raw);
  }

  dateTime(field: string): GattDateTime {
    const year = this.uint16(`${field} year`);
    return {
      year,
      month: this.uint8(`${field} month`),
      day: this.uint8(`${field} day`),
      hours: this.uint8(`${field} hours`),
      minutes: this.uint8(`${field} minutes`),
      seconds: this.uint8(`${field} seconds`),
    };
  }

  /** Byte range text of the last `length` bytes read, for value paths. */
  range(from: number): string {
    return `$.value[${from}..${this.offset - 1}]`;
  }
}

/**
 * Parsed resource versions kept between consumer batches. A device patient's window changes by
 * one reading per event, so re-reading and re-parsing the other ~170 Observations of their 24 h
 * (and 14-day) window for every new reading would dominate the cost of scoring it. A stored
 * version never changes, so an entry keyed by rid and version is never stale; the oldest entries
 * are dropped beyond the capacity.
 */
import type { FhirJson } from './observation-readings.ts';

export class ParsedVersions {
  private readonly entries = new Map<string, FhirJson>();

  constructor(private readonly capacity = 20_000) {}

  get(rid: number, version: number): FhirJson | undefined {
    const key = `${rid}@${version}`;
    const hit = this.entries.get(key);
    if (hit) {
      // Map order is insertion order: re-inserting marks the entry as recently used.
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(rid: number, version: number, resource: FhirJson): void {
    this.entries.set(`${rid}@${version}`, resource);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

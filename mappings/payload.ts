/** Kinds of payload the mappings read. */
export type PayloadFormat = 'json' | 'hl7v2' | 'apple-health-record';

/** Facts the caller knows about a payload that the payload itself may not carry. */
export interface PayloadContext {
  /** Device identity when the payload has none (a vendor cloud account bound to one device). */
  device?: { system: string; value: string };
  /** Patient when the payload names none: `Patient/123` or `system|value`. */
  patient?: string;
  /** IANA zone (`Europe/Berlin`) or fixed offset (`+02:00`) for sources that send local times (Fitbit, BLE Date_Time). */
  timeZone?: string;
  /** When the payload was received; BLE readings without a timestamp are stamped with it (PHD IG rule). */
  receivedAt?: string;
}

/** One payload to map, as split from a request body (splitBody) or built by the caller. */
export interface PayloadInput {
  /** 0-based position within the request body. */
  index: number;
  format: PayloadFormat;
  /** Parsed JSON value, HL7 v2 message text, or an Apple Health record. */
  body: unknown;
  /** Where the payload starts in the request text (NDJSON line, HL7 message, XML element). */
  line?: number;
  context?: PayloadContext;
}

/**
 * Per-patient keys, themselves wrapped under a key-encryption key (KEK) that lives outside DATA_DIR
 * in production (environment now, an external KMS later). Three levels: KEK → patient key → bundle
 * DEK, so rotating the KEK re-wraps patient keys only and never touches stored payloads, and erasing
 * a patient destroys one key.
 */
export interface KeyStore {
  /** The subject's key, created (durably) on first use. */
  patientKey(subject: string): Promise<Buffer>;
  /** Keys for many subjects at once, creating the missing ones in a single durable write. */
  patientKeys(subjects: Iterable<string>): Promise<Map<string, Buffer>>;
  /** Every subject that has a key (an audit tries them on bundles whose owner it no longer knows). */
  subjects(): Promise<string[]>;
  /** The key if the subject has one; undefined when it never had one or it was destroyed. */
  existingPatientKey(subject: string): Promise<Buffer | undefined>;
  /**
   * Crypto-shredding: removes the subject's key from the key file for good. Every bundle sealed
   * under it becomes undecryptable. True when a key existed.
   */
  destroyPatientKey(subject: string): Promise<boolean>;
  /** Re-wraps every patient key under `newKek`; payloads stay as they are. */
  rotateKek(newKek: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

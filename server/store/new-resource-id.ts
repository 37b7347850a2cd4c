import { v7 } from 'uuid';

/**
 * Id for a resource the server names (create, POST in a bundle, ingested readings, shells).
 * Time-ordered UUIDs (RFC 9562 version 7: a millisecond timestamp, then 74 random bits): new ids
 * land at the right edge of the (type, id) B-tree instead of on a random page each, which keeps
 * that index's working set and its full-page WAL images small under sustained ingestion. Still
 * unguessable enough for an id (FHIR ids carry no authority), and still a UUID for clients.
 */
export function newResourceId(): string {
  return v7();
}

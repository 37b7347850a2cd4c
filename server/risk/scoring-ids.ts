/**
 * Ids of the resources a score becomes. They are derived from what the score depends on — the
 * model version, the patient and the exact input versions — so the outbox consumer, which runs at
 * least once, rewrites identical content under the same id when a batch is replayed, and the
 * repository then records no new version.
 */
import { sha256Hex } from './artifact-hash.ts';
import type { ModelCard } from './model-card.ts';

export function scoreResourceId(card: Pick<ModelCard, 'id' | 'version'>, patient: string, basis: readonly string[], extra = ''): string {
  const key = [`${card.id}@${card.version}`, patient, ...[...basis].sort(), extra].join('\n');
  // FHIR ids allow 64 characters: a readable model prefix plus 128 bits of the hash.
  return `${card.id.slice(0, 24)}-${sha256Hex(key).slice(0, 32)}`;
}

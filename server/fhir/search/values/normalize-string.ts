/**
 * String search is case- and accent-insensitive: "Chalmers", "CHALMERS" and "Chälmers" match.
 * Index rows keep this form, and search values are normalized the same way.
 */
export function normalizeString(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

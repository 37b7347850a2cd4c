/** The parts of the Prefer header (RFC 7240) FHIR defines. */
export interface Preferences {
  return?: 'minimal' | 'representation' | 'OperationOutcome';
  handling?: 'strict' | 'lenient';
  respondAsync: boolean;
}

export function parsePrefer(header: string | undefined): Preferences {
  const preferences: Preferences = { respondAsync: false };
  if (!header) return preferences;
  for (const part of header.split(/[,;]/)) {
    const [rawName, rawValue] = part.split('=');
    const name = rawName.trim().toLowerCase();
    const value = rawValue?.trim().replace(/^"|"$/g, '');
    if (name === 'return' && (value === 'minimal' || value === 'representation' || value === 'OperationOutcome')) preferences.return = value;
    else if (name === 'handling' && (value === 'strict' || value === 'lenient')) preferences.handling = value;
    else if (name === 'respond-async') preferences.respondAsync = true;
  }
  return preferences;
}

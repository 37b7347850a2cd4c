type Json = Record<string, any>;

/** valueString (or valueCode/valueUri) of the first part with this name. */
export function stringPart(parts: Json[], name: string): string | undefined {
  for (const part of parts) {
    if (part?.name !== name) continue;
    const value = part.valueString ?? part.valueCode ?? part.valueUri ?? part.valueId;
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** Every part with this name carrying a string, with its position (for Parameters.parameter[n] locations). */
export function stringParts(parts: Json[], name: string): Array<{ text: string; position: number }> {
  const out: Array<{ text: string; position: number }> = [];
  parts.forEach((part, position) => {
    if (part?.name === name && typeof part.valueString === 'string') out.push({ text: part.valueString, position });
  });
  return out;
}

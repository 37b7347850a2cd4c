/** Splits a parameter value at unescaped commas (OR); "\," "\|" "\$" "\\" are escapes per the spec. */
export function splitOrValues(value: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length && ',$|\\'.includes(value[i + 1])) {
      current += '\\' + value[++i];
    } else if (c === ',') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/** Splits at unescaped occurrences of a separator ("|" in tokens, "$" in composites). */
export function splitEscaped(value: string, separator: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\' && i + 1 < value.length) current += value[i] + value[++i];
    else if (c === separator) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

export function unescapeValue(value: string): string {
  return value.replace(/\\([,$|\\])/g, '$1');
}

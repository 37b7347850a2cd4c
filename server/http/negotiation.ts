import { FhirError } from '../fhir/outcome.ts';

export interface OutputFormat {
  contentType: string;
  pretty: boolean;
}

const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'text/json']);
const XML_FORMATS = new Set(['xml', 'application/xml', 'application/fhir+xml', 'text/xml']);

/**
 * Response format from _format (wins) or Accept. Only JSON is implemented, and the
 * CapabilityStatement says so: asking for XML alone answers 406 rather than sending JSON anyway.
 */
export function negotiate(format: string | undefined, accept: string | undefined, pretty: string | undefined): OutputFormat {
  const usePretty = pretty === 'true';
  if (format !== undefined) {
    const wanted = format.split(';')[0].trim().toLowerCase();
    if (JSON_FORMATS.has(wanted)) return { contentType: wanted === 'application/json' ? 'application/json' : 'application/fhir+json', pretty: usePretty };
    throw notAcceptable(format);
  }
  if (!accept) return { contentType: 'application/fhir+json', pretty: usePretty };
  const types = accept.split(',').map((part) => part.split(';')[0].trim().toLowerCase());
  if (types.some((t) => t === 'application/fhir+json' || t === '*/*' || t === 'application/*' || t.endsWith('+json'))) {
    return { contentType: 'application/fhir+json', pretty: usePretty };
  }
  if (types.some((t) => t === 'application/json' || t === 'text/json')) return { contentType: 'application/json', pretty: usePretty };
  if (types.some((t) => XML_FORMATS.has(t))) throw notAcceptable(accept);
  return { contentType: 'application/fhir+json', pretty: usePretty };
}

function notAcceptable(what: string): FhirError {
  return new FhirError(406, {
    severity: 'error',
    code: 'not-supported',
    diagnostics: `This server produces JSON only (application/fhir+json); '${what.slice(0, 100)}' cannot be served`,
  });
}

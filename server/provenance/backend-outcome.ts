import { FhirError } from '../fhir/outcome.ts';
import { ProvenanceError } from './errors.ts';

/**
 * Runs an operation's work and answers a back end that is down (IPFS node, chain) with 503
 * transient, and one that said no with 502, instead of a bare 500: the request was fine.
 */
export async function withBackends<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof ProvenanceError)) throw err;
    const what = err.component === 'ledger' ? 'the chain' : err.component === 'content' ? 'the content store' : 'the provenance back end';
    throw new FhirError(err.retryable ? 503 : 502, {
      severity: 'error',
      code: err.retryable ? 'transient' : 'exception',
      diagnostics: `${what} ${err.retryable ? 'is unavailable; try again later' : 'failed'}: ${err.message}`,
    }, err.retryable ? { 'Retry-After': '5' } : {});
  }
}

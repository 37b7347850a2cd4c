/**
 * Typed failures of the provenance back ends. The anchoring pipeline only needs one decision from
 * an error: wait and retry (the IPFS node or the chain is down, slow or overloaded) or stop and
 * surface it (the request itself is wrong, the contract rejected it, the data is corrupt).
 */
export type ProvenanceComponent = 'content' | 'ledger' | 'keys' | 'proof';

export abstract class ProvenanceError extends Error {
  abstract readonly retryable: boolean;
  constructor(
    readonly component: ProvenanceComponent,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The back end could not be reached or did not answer in time: nothing was decided, retry later. */
export class ProvenanceUnavailableError extends ProvenanceError {
  override readonly name = 'ProvenanceUnavailableError';
  readonly retryable = true;
}

/** The back end answered and said no, or returned something that cannot be right: retrying as is won't help. */
export class ProvenanceFailureError extends ProvenanceError {
  override readonly name = 'ProvenanceFailureError';
  readonly retryable = false;
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ProvenanceError && err.retryable;
}

const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * True when an error (or anything in its cause chain) is a network-level failure: refused or reset
 * connections, DNS hiccups, timeouts, aborted requests. Client libraries wrap these differently
 * (undici, ethers, kubo-rpc-client), so the whole chain is searched.
 */
export function isTransportFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 8; depth++) {
    const candidate = e as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof candidate.code === 'string' && transientCodes.has(candidate.code)) return true;
    if (candidate.name === 'TimeoutError' || candidate.name === 'AbortError') return true;
    if (typeof candidate.message === 'string' && /fetch failed|socket hang up|other side closed/i.test(candidate.message)) return true;
    if (Array.isArray(candidate.errors) && candidate.errors.some(isTransportFailure)) return true;
    e = candidate.cause;
  }
  return false;
}

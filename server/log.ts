import { pino, type Logger } from 'pino';

/**
 * Structured logging. Log lines carry identifiers (resource type, id, version, request id),
 * never resource content: content is PHI. Request bodies and query strings are not logged.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'vitalchain-fhir' },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.privateKey'], censor: '***' },
  });
}

export type { Logger };

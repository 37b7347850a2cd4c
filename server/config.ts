import path from 'node:path';
import { z } from 'zod';

/**
 * One typed configuration, read from environment variables and `--name=value` CLI flags
 * (flags win), validated at start so a typo fails fast with a message naming the variable.
 */
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .refine((value) => value === undefined || protocols.some((p) => value.startsWith(p)), {
      message: `must start with ${protocols.join(' or ')}`,
    });

const integer = (min: number, fallback: number) => z.coerce.number().int().min(min).default(fallback);

const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().default('0.0.0.0'),
    BASE_URL: z.string().url().optional(),
    DATA_DIR: z.string().default('./data'),
    DATABASE_URL: optionalUrl(['postgres://', 'postgresql://']),
    DATABASE_POOL_SIZE: integer(1, 10),
    KUBO_RPC_URL: optionalUrl(['http://', 'https://']),
    ETH_RPC_URL: optionalUrl(['http://', 'https://', 'ws://', 'wss://']),
    ETH_PRIVATE_KEY: z
      .string()
      .regex(/^(0x)?[0-9a-fA-F]{64}$/, 'must be a 32-byte hex private key')
      .optional(),
    ANCHOR_CONTRACT: z
      .string()
      .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
      .optional(),
    MQTT_URL: optionalUrl(['mqtt://', 'mqtts://', 'ws://', 'wss://', 'tcp://']),
    /** MQTT topic filters to subscribe to (comma-separated) when MQTT_URL is set. */
    MQTT_TOPICS: z.string().default('vitalchain/ingest/#'),
    /** Mapping id for MQTT messages; unset means auto-detect per message. */
    MQTT_MAPPING: z.string().optional(),
    /** MQTT client id of the persistent session (messages published while the server is down wait under it). */
    MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, . _ -').default('vitalchain-ingest'),
    /**
     * MQTT messages ingested at once, each in its own transaction, acknowledged in arrival order
     * after commit; 1 is one at a time. Commits queue on the commit-order lock and each waiting
     * ingest holds a pool connection, so 4 keeps most of the gain measured (bench:mqtt) while
     * leaving DATABASE_POOL_SIZE room for HTTP.
     */
    MQTT_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(4),
    /** Directory of custom mapping files (*.json, our declarative format) loaded as mapping versions at start. */
    MAPPINGS_DIR: z.string().optional(),
    /** Provenance anchoring (hash, Merkle window, encrypted bundles, chain): on by default. */
    PROVENANCE: z.enum(['on', 'off']).default('on'),
    /** An anchor window closes at this many leaves or after this many seconds, whichever comes first. */
    ANCHOR_WINDOW_LEAVES: integer(1, 1000),
    ANCHOR_WINDOW_SECONDS: z.coerce.number().positive().default(5),
    /**
     * Scheduling niceness (0–19) of the provenance sealer and embedded-chain threads (Linux). While
     * writes keep both cores busy, the write path gets the CPU and anchoring catches up after; 0
     * lets the pipeline compete on equal terms (anchors sooner, ingests slower).
     */
    PROVENANCE_THREAD_NICE: z.coerce.number().int().min(0).max(19).default(10),
    /** Key-encryption key (base64, 32 bytes) wrapping per-patient keys; unset → a generated local key (development only). */
    VITALCHAIN_KEK: z.string().optional(),
    /** Previous KEKs (comma-separated), accepted to re-wrap keys after a rotation. */
    VITALCHAIN_KEK_PREVIOUS: z.string().optional(),
    /** Risk scoring of new vital-sign Observations: on by default. */
    RISK_SCORING: z.enum(['on', 'off']).default('on'),
    /** Extra model directories (colon-separated), each holding card.json + model.onnx. */
    RISK_MODEL_DIRS: z.string().optional(),
    /** Subscription rest-hook delivery: first retry delay, doubled after each failure. */
    SUBSCRIPTION_RETRY_BASE_MS: integer(1, 1000),
    /** Upper bound of the retry delay (HAPI gives up after about a minute; this never does by default). */
    SUBSCRIPTION_RETRY_MAX_MS: integer(1, 60 * 60 * 1000),
    /** Pending notifications older than this many seconds are dropped; 0 keeps retrying forever. */
    SUBSCRIPTION_MAX_AGE_SECONDS: integer(0, 0),
    /** Time allowed for one rest-hook request. */
    SUBSCRIPTION_TIMEOUT_MS: integer(1, 10_000),
    /** How often the delivery worker looks for due notifications when nothing wakes it. */
    SUBSCRIPTION_POLL_MS: integer(1, 1000),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Largest request body accepted, in bytes; larger bodies get 413. */
    MAX_BODY_BYTES: integer(1024, 64 * 1024 * 1024),
    /** Default and maximum page size for searches and history. */
    DEFAULT_PAGE_SIZE: integer(1, 20),
    MAX_PAGE_SIZE: integer(1, 1000),
    /** Conditional delete that matches several resources: 'single' refuses with 412, 'multiple' deletes them all. */
    CONDITIONAL_DELETE: z.enum(['single', 'multiple']).default('single'),
    /** Upper bound on resources one conditional delete with 'multiple' may remove. */
    CONDITIONAL_DELETE_MAX: integer(1, 1000),
    /** Seconds to let in-flight requests and transactions finish on SIGTERM/SIGINT. */
    SHUTDOWN_GRACE_SECONDS: integer(0, 20),
  })
  .superRefine((config, ctx) => {
    if (config.ETH_RPC_URL && !config.ETH_PRIVATE_KEY) {
      ctx.addIssue({ code: 'custom', path: ['ETH_PRIVATE_KEY'], message: 'is required when ETH_RPC_URL is set' });
    }
    if (config.DEFAULT_PAGE_SIZE > config.MAX_PAGE_SIZE) {
      ctx.addIssue({ code: 'custom', path: ['DEFAULT_PAGE_SIZE'], message: 'must not exceed MAX_PAGE_SIZE' });
    }
  });

type RawConfig = z.output<typeof schema>;

export interface Config extends RawConfig {
  BASE_URL: string;
  DATA_DIR: string;
}

export class ConfigError extends Error {}

/** Reads flags of the form --port=8080 or --data-dir ./x (kebab or SNAKE case). */
function flagsFrom(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = (eq < 0 ? arg.slice(2) : arg.slice(2, eq)).replace(/-/g, '_').toUpperCase();
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value !== undefined) flags[name] = value;
  }
  return flags;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = process.argv.slice(2)): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) if (env[key] !== undefined) input[key] = env[key];
  Object.assign(input, flagsFrom(argv));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(config)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  return {
    ...config,
    DATA_DIR: path.resolve(config.DATA_DIR),
    BASE_URL: (config.BASE_URL ?? `http://localhost:${config.PORT}/fhir`).replace(/\/+$/, ''),
  };
}

const SECRET_KEYS = new Set(['ETH_PRIVATE_KEY', 'VITALCHAIN_KEK', 'VITALCHAIN_KEK_PREVIOUS']);

/** The configuration as printed at start: secrets and URL passwords masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (SECRET_KEYS.has(key)) out[key] = '***';
    else if (typeof value === 'string' && /^[a-z]+:\/\/[^/]*:[^@/]*@/.test(value)) out[key] = value.replace(/:\/\/([^:/]*):[^@/]*@/, '://$1:***@');
    else out[key] = value;
  }
  return out;
}

// The one reader of process.env: every setting, its default, and one clear message per wrong value.
import { accessSync, constants, readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `250ms`, `90s`, `30m`, `24h`, `7d` or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'ms') as keyof typeof UNIT_MS;
  return Number(match[1]) * UNIT_MS[unit];
}

const duration = (name: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a duration such as 30s, 15m or 24h` });
      return z.NEVER;
    }
    return ms;
  });

const integer = (name: string, min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });

const regex = (name: string) =>
  z.string().transform((text, ctx) => {
    try {
      return new RegExp(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${name} is not a valid regular expression` });
      return z.NEVER;
    }
  });

const brokers = z.string().transform((text, ctx) => {
  const list = text
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (list.length === 0 || list.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    ctx.addIssue({ code: 'custom', message: 'KAFKA_BROKERS must be a comma-separated list of host:port' });
    return z.NEVER;
  }
  return list;
});

const postgresUrl = z.string().refine((text) => {
  try {
    return ['postgres:', 'postgresql:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}, 'DATABASE_URL must be a postgres:// URL');

const registryUrl = z.string().refine((text) => {
  if (text === '') return true;
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}, 'SCHEMA_REGISTRY_URL must be an http:// or https:// URL: the Confluent API base, such as http://localhost:8081/apis/ccompat/v7');

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const boolean = (name: string) =>
  z.string().transform((text, ctx) => {
    const value = { true: true, false: false, '1': true, '0': false }[text.trim().toLowerCase()];
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false` });
      return z.NEVER;
    }
    return value;
  });

/** A path that must be readable when set; '' means unset. The file is read where it is used. */
const readableFile = (name: string) =>
  z.string().refine((path) => {
    if (path === '') return true;
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  }, `${name} must name a readable file`);

const SASL_MECHANISMS = ['', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
const DATABASE_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/** Every environment variable buddy-stream reads, with its default. The README's table mirrors this. */
export const SETTINGS = {
  KAFKA_BROKERS: { default: 'localhost:9092', schema: brokers },
  KAFKA_CLIENT_ID: { default: `buddy-stream-${hostname()}`, schema: z.string().min(1) },
  KAFKA_GROUP_ID: { default: 'buddy-stream', schema: z.string().min(1) },
  KAFKA_SESSION_TIMEOUT: { default: '30s', schema: duration('KAFKA_SESSION_TIMEOUT') },
  KAFKA_COMMIT_INTERVAL: { default: '1s', schema: duration('KAFKA_COMMIT_INTERVAL') },
  KAFKA_SASL_MECHANISM: {
    default: '',
    schema: z
      .string()
      .transform((text) => text.trim().toLowerCase())
      .pipe(
        z.enum(SASL_MECHANISMS, {
          message: 'KAFKA_SASL_MECHANISM must be plain, scram-sha-256 or scram-sha-512 (or empty for none)',
        }),
      ),
  },
  KAFKA_SASL_USERNAME: { default: '', schema: z.string() },
  KAFKA_SASL_PASSWORD: { default: '', schema: z.string() },
  KAFKA_SSL: { default: 'false', schema: boolean('KAFKA_SSL') },
  KAFKA_SSL_CA_FILE: { default: '', schema: readableFile('KAFKA_SSL_CA_FILE') },
  KAFKA_SSL_CERT_FILE: { default: '', schema: readableFile('KAFKA_SSL_CERT_FILE') },
  KAFKA_SSL_KEY_FILE: { default: '', schema: readableFile('KAFKA_SSL_KEY_FILE') },
  TOPIC_PATTERN: { default: '^buddy\\.', schema: regex('TOPIC_PATTERN') },
  TOPIC_PREFIX: {
    default: '',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'TOPIC_PREFIX may hold letters, digits, dot, underscore and dash'),
  },
  DLQ_TOPIC: { default: 'dlq.buddy', schema: z.string().min(1) },
  Q2Q_TEXT_TOPIC: { default: 'q2q.text.requested', schema: z.string().min(1) },
  Q2Q_SCORES_TOPIC: { default: 'q2q.outcome.scored', schema: z.string().min(1) },
  JOURNEY_FLAG_TOPIC: { default: 'journey.flag.changed', schema: z.string().min(1) },
  JOURNEY_MILESTONE_TOPIC: { default: 'journey.milestone.reached', schema: z.string().min(1) },
  ERASURE_TOPIC: { default: 'privacy.erasure.requested', schema: z.string().min(1) },
  OUTBOX_RELAY: {
    default: 'on',
    schema: z.enum(['on', 'off'], { message: 'OUTBOX_RELAY must be on or off' }),
  },
  TOPIC_PARTITIONS: { default: '6', schema: integer('TOPIC_PARTITIONS', 1, 10_000) },
  TOPIC_REPLICATION_FACTOR: { default: '1', schema: integer('TOPIC_REPLICATION_FACTOR', 1, 100) },
  // A secret: `DATABASE_URL_FILE` names a mounted file holding it instead (see SECRET_SETTINGS).
  DATABASE_URL: { default: 'postgres://127.0.0.1:5432/buddy_stream', schema: postgresUrl },
  DATABASE_SSL: {
    default: 'disable',
    schema: z.enum(DATABASE_SSL_MODES, {
      message: `DATABASE_SSL must be one of ${DATABASE_SSL_MODES.join(', ')}`,
    }),
  },
  DATABASE_SSL_CA_FILE: { default: '', schema: readableFile('DATABASE_SSL_CA_FILE') },
  DATABASE_SSL_CERT_FILE: { default: '', schema: readableFile('DATABASE_SSL_CERT_FILE') },
  DATABASE_SSL_KEY_FILE: { default: '', schema: readableFile('DATABASE_SSL_KEY_FILE') },
  PG_POOL_SIZE: { default: '8', schema: integer('PG_POOL_SIZE', 1, 1_000) },
  BATCH_MAX_EVENTS: { default: '5000', schema: integer('BATCH_MAX_EVENTS', 1, 100_000) },
  BATCH_LINGER: { default: '5ms', schema: duration('BATCH_LINGER') },
  BATCH_WRITERS: { default: '1', schema: integer('BATCH_WRITERS', 1, 64) },
  BACKLOG_ORDER: { default: 'true', schema: boolean('BACKLOG_ORDER') },
  KAFKA_CLIENT: {
    default: 'kafkajs',
    schema: z.enum(['kafkajs', 'rdkafka'], { message: 'KAFKA_CLIENT must be kafkajs or rdkafka' }),
  },
  FETCH_MAX_BYTES_PER_PARTITION: {
    default: '1048576',
    schema: integer('FETCH_MAX_BYTES_PER_PARTITION', 1_024, 1_073_741_824),
  },
  FETCH_MAX_BYTES: { default: '8388608', schema: integer('FETCH_MAX_BYTES', 1_024, 1_073_741_824) },
  COPY_CHUNK_ROWS: { default: '500', schema: integer('COPY_CHUNK_ROWS', 1, 1_000_000) },
  PARTITIONS_CONSUMED_CONCURRENTLY: {
    default: '64',
    schema: integer('PARTITIONS_CONSUMED_CONCURRENTLY', 1, 1_000),
  },
  PARK_TIMEOUT: { default: '24h', schema: duration('PARK_TIMEOUT') },
  FEEDBACK_WINDOW: { default: '14d', schema: duration('FEEDBACK_WINDOW') },
  JOURNEY_SWEEP_INTERVAL: { default: '1m', schema: duration('JOURNEY_SWEEP_INTERVAL') },
  OUTBOX_RETENTION: { default: '7d', schema: duration('OUTBOX_RETENTION') },
  SHUTDOWN_TIMEOUT: { default: '30s', schema: duration('SHUTDOWN_TIMEOUT') },
  // '' = no registry: a Confluent-framed record is then dead-lettered (schema_unavailable).
  SCHEMA_REGISTRY_URL: { default: '', schema: registryUrl },
  SCHEMA_REGISTRY_RETRY_TIMEOUT: { default: '30s', schema: duration('SCHEMA_REGISTRY_RETRY_TIMEOUT') },
  OUTPUT_FRAMED: { default: 'false', schema: boolean('OUTPUT_FRAMED') },
  METRICS_PORT: { default: '9464', schema: integer('METRICS_PORT', 0, 65_535) },
  LAG_POLL_INTERVAL: { default: '15s', schema: duration('LAG_POLL_INTERVAL') },
  LOG_LEVEL: {
    default: 'info',
    schema: z.enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }),
  },
} as const;

/**
 * Secrets: each may instead come from the file named by `<NAME>_FILE` (a mounted Kubernetes Secret),
 * read once at start, trailing newline dropped. Setting both is an error.
 */
export const SECRET_SETTINGS = ['DATABASE_URL', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const;

/** Every environment variable buddy-stream reads: the settings, their `_FILE` forms, and PGUSER. */
export function environmentVariables(): string[] {
  return [...Object.keys(SETTINGS), ...SECRET_SETTINGS.map((name) => `${name}_FILE`), 'PGUSER'];
}

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]['schema']> };
export type SettingName = keyof Settings;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the settings from `env` (process.env by default); throws one ConfigError listing every wrong one. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  const secrets = readSecretFiles(env, problems);
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = secrets[name] ?? env[name];
    const text = raw === undefined || raw.trim() === '' ? setting.default : raw;
    const parsed = (setting.schema as z.ZodType).safeParse(text);
    if (parsed.success) config[name] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length === 0) problems.push(...securityProblems(config as Config));
  if (config.OUTPUT_FRAMED === true && config.SCHEMA_REGISTRY_URL === '') {
    problems.push('OUTPUT_FRAMED: true needs SCHEMA_REGISTRY_URL (framed records name a registered schema)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  config.DATABASE_URL = withDefaultUser(config.DATABASE_URL as string, env.PGUSER);
  return config as Config;
}

function readSecretFiles(env: Record<string, string | undefined>, problems: string[]) {
  const values: Record<string, string> = {};
  for (const name of SECRET_SETTINGS) {
    const file = env[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (env[name]?.trim()) {
      problems.push(`${name}: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      values[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
    }
  }
  return values;
}

/** Settings that only make sense together. */
function securityProblems(c: Config): string[] {
  const problems: string[] = [];
  const sasl = c.KAFKA_SASL_MECHANISM !== '';
  if (sasl && (c.KAFKA_SASL_USERNAME === '' || c.KAFKA_SASL_PASSWORD === '')) {
    problems.push(
      `KAFKA_SASL_MECHANISM: ${c.KAFKA_SASL_MECHANISM} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or their _FILE forms)`,
    );
  }
  if (!sasl && (c.KAFKA_SASL_USERNAME !== '' || c.KAFKA_SASL_PASSWORD !== '')) {
    problems.push('KAFKA_SASL_USERNAME/PASSWORD: set, but KAFKA_SASL_MECHANISM is empty');
  }
  for (const name of ['KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE'] as const) {
    if (!c.KAFKA_SSL && c[name] !== '') problems.push(`${name}: set, but KAFKA_SSL is false`);
  }
  for (const name of ['DATABASE_SSL_CA_FILE', 'DATABASE_SSL_CERT_FILE', 'DATABASE_SSL_KEY_FILE'] as const) {
    if (c.DATABASE_SSL === 'disable' && c[name] !== '')
      problems.push(`${name}: set, but DATABASE_SSL is disable`);
  }
  if ((c.KAFKA_SSL_CERT_FILE === '') !== (c.KAFKA_SSL_KEY_FILE === '')) {
    problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: a client certificate needs both');
  }
  if ((c.DATABASE_SSL_CERT_FILE === '') !== (c.DATABASE_SSL_KEY_FILE === '')) {
    problems.push('DATABASE_SSL_CERT_FILE and DATABASE_SSL_KEY_FILE: a client certificate needs both');
  }
  if (c.DATABASE_SSL !== 'disable' && /[?&](sslmode|ssl)=/.test(c.DATABASE_URL)) {
    problems.push('DATABASE_URL: drop sslmode from the URL; DATABASE_SSL sets TLS');
  }
  return problems;
}

/** A URL without a user name connects as PGUSER, else as the OS user (as psql does). */
function withDefaultUser(url: string, pgUser: string | undefined): string {
  const parsed = new URL(url);
  if (parsed.username) return url;
  parsed.username = pgUser || userInfo().username;
  return parsed.toString();
}

/** A URL safe to print: the password, if any, replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}

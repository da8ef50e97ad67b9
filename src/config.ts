// The one reader of process.env: every setting, its default, and one clear message per wrong value.
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

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Every environment variable buddy-stream reads, with its default. The README's table mirrors this. */
export const SETTINGS = {
  KAFKA_BROKERS: { default: 'localhost:9092', schema: brokers },
  KAFKA_CLIENT_ID: { default: `buddy-stream-${hostname()}`, schema: z.string().min(1) },
  KAFKA_GROUP_ID: { default: 'buddy-stream', schema: z.string().min(1) },
  KAFKA_SESSION_TIMEOUT: { default: '30s', schema: duration('KAFKA_SESSION_TIMEOUT') },
  TOPIC_PATTERN: { default: '^buddy\\.', schema: regex('TOPIC_PATTERN') },
  TOPIC_PREFIX: {
    default: '',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'TOPIC_PREFIX may hold letters, digits, dot, underscore and dash'),
  },
  DLQ_TOPIC: { default: 'dlq.buddy', schema: z.string().min(1) },
  TOPIC_PARTITIONS: { default: '6', schema: integer('TOPIC_PARTITIONS', 1, 10_000) },
  TOPIC_REPLICATION_FACTOR: { default: '1', schema: integer('TOPIC_REPLICATION_FACTOR', 1, 100) },
  DATABASE_URL: { default: 'postgres://127.0.0.1:5432/buddy_stream', schema: postgresUrl },
  PG_POOL_SIZE: { default: '8', schema: integer('PG_POOL_SIZE', 1, 1_000) },
  BATCH_MAX_EVENTS: { default: '2000', schema: integer('BATCH_MAX_EVENTS', 1, 100_000) },
  PARTITIONS_CONSUMED_CONCURRENTLY: {
    default: '2',
    schema: integer('PARTITIONS_CONSUMED_CONCURRENTLY', 1, 1_000),
  },
  PARK_TIMEOUT: { default: '24h', schema: duration('PARK_TIMEOUT') },
  SHUTDOWN_TIMEOUT: { default: '30s', schema: duration('SHUTDOWN_TIMEOUT') },
  METRICS_PORT: { default: '9464', schema: integer('METRICS_PORT', 0, 65_535) },
  LOG_LEVEL: {
    default: 'info',
    schema: z.enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }),
  },
} as const;

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
  for (const [name, setting] of Object.entries(SETTINGS)) {
    const raw = env[name];
    const text = raw === undefined || raw.trim() === '' ? setting.default : raw;
    const parsed = (setting.schema as z.ZodType).safeParse(text);
    if (parsed.success) config[name] = parsed.data;
    else problems.push(`${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  config.DATABASE_URL = withDefaultUser(config.DATABASE_URL as string, env.PGUSER);
  return config as Config;
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

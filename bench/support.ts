// Shared pieces of the benchmarks: a fresh database and topic set per measured run, publishing a
// synthetic programme, and reading a child process's peak memory.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../src/config.ts';
import { createIdempotentProducer, createKafka } from '../src/kafka/client.ts';
import { allTopics, createTopics } from '../src/kafka/topics.ts';
export { rdkafkaAvailable as rdkafkaLoads } from '../src/kafka/rdkafka-consumer.ts';
import { createLogger } from '../src/ops/logger.ts';
import { migrate, ensureDatabase } from '../src/store/migrate.ts';
import type { ProgrammeOptions, SyntheticStats } from '../src/synthetic/generate.ts';
import { publishProgramme as publishToKafka } from '../src/synthetic/output.ts';

export const log = createLogger({ level: 'warn' });

export interface BenchStream {
  id: string;
  env: Record<string, string>;
  config: Config;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function benchStream(label: string, partitions = 6): Promise<BenchStream> {
  const id = `${label}${randomBytes(3).toString('hex')}`;
  const base = loadConfig();
  const url = new URL(base.DATABASE_URL);
  url.pathname = `/bench_${id}`;
  const env: Record<string, string> = {
    DATABASE_URL: url.toString(),
    TOPIC_PREFIX: `b.${id}.`,
    TOPIC_PATTERN: `^b\\.${id}\\.buddy\\.`,
    KAFKA_GROUP_ID: `bench-${id}`,
    DLQ_TOPIC: `b.${id}.dlq`,
    Q2Q_TEXT_TOPIC: `b.${id}.q2q.text`,
    Q2Q_SCORES_TOPIC: `b.${id}.q2q.scores`,
    JOURNEY_FLAG_TOPIC: `b.${id}.journey.flag`,
    JOURNEY_MILESTONE_TOPIC: `b.${id}.journey.milestone`,
    ERASURE_TOPIC: `b.${id}.privacy.erasure`,
    TOPIC_PARTITIONS: String(partitions),
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  const config = loadConfig({ ...process.env, ...env });
  await ensureDatabase(config.DATABASE_URL);
  await migrate({ databaseUrl: config.DATABASE_URL });
  const admin = createKafka(config, log).admin();
  await admin.connect();
  await createTopics(
    admin,
    { partitions, replicationFactor: 1 },
    allTopics(config).filter((t) => t.startsWith(`b.${id}.`)),
  );
  await admin.disconnect();
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 4 });
  return {
    id,
    env,
    config,
    pool,
    async drop() {
      await pool.end();
      const admin2 = createKafka(config, log).admin();
      await admin2.connect();
      const topics = (await admin2.listTopics()).filter((t) => t.startsWith(`b.${id}.`));
      await admin2.deleteTopics({ topics }).catch(() => undefined);
      await admin2.disconnect();
      const server = new URL(config.DATABASE_URL);
      server.pathname = '/postgres';
      const client = new pg.Client({ connectionString: server.toString() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(`bench_${id}`)} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * Another reader of the same topics: a fresh migrated database (`<db>_<suffix>`) and its own consumer group,
 * as env for runCli; drop() removes the database.
 */
export async function anotherReader(
  stream: BenchStream,
  suffix: string,
): Promise<{ env: Record<string, string>; pool: pg.Pool; drop(): Promise<void> }> {
  const url = new URL(stream.config.DATABASE_URL);
  url.pathname = `${url.pathname}_${suffix}`;
  await ensureDatabase(url.toString());
  await migrate({ databaseUrl: url.toString() });
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    env: {
      ...stream.env,
      DATABASE_URL: url.toString(),
      KAFKA_GROUP_ID: `${stream.env.KAFKA_GROUP_ID}-${suffix}`,
    },
    pool,
    async drop() {
      await pool.end();
      const admin = new pg.Client({ connectionString: stream.config.DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(url.pathname.slice(1))} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Publishes the programme to the stream's topics; returns the generator's stats. */
export async function publishProgramme(
  stream: BenchStream,
  options: ProgrammeOptions,
): Promise<SyntheticStats> {
  const producer = createIdempotentProducer(createKafka(stream.config, log));
  await producer.connect();
  try {
    return await publishToKafka(producer, stream.config.TOPIC_PREFIX, options);
  } finally {
    await producer.disconnect();
  }
}

const BIN = new URL('../bin/buddy-stream', import.meta.url).pathname;

/**
 * Runs `buddy-stream <args>` with `env` added: its wall time, peak RSS (sampled) and exit code. `bin`: another
 * checkout's bin/buddy-stream (bench:compare); this checkout's by default.
 */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  bin = BIN,
): Promise<{ seconds: number; rssMb: number; code: number | null; cpuSeconds: number }> {
  const started = performance.now();
  const cpuBefore = childrenCpuSeconds();
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  let rssMb = 0;
  const sampler = setInterval(() => {
    try {
      rssMb = Math.max(rssMb, peakRssMb(child.pid!));
    } catch {
      // The process has just exited; the last sample stands.
    }
  }, 100);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(sampler);
  // 'close' comes after the child was reaped, so its CPU (and its own children's) is counted by now.
  const cpuSeconds = childrenCpuSeconds() - cpuBefore;
  return { seconds: (performance.now() - started) / 1000, rssMb, code, cpuSeconds };
}

/**
 * `buddy-stream run --until-caught-up` as another reader of the stream's topics (a fresh database and
 * consumer group, see anotherReader) with `env` added: events/s over the run, its time and peak RSS.
 */
export async function runAnotherReader(
  stream: BenchStream,
  suffix: string,
  env: Record<string, string>,
): Promise<{ rate: number; seconds: number; rssMb: number }> {
  const reader = await anotherReader(stream, suffix);
  try {
    const run = await runCli(['run', '--until-caught-up'], { ...reader.env, ...env });
    if (run.code !== 0) throw new Error(`buddy-stream run (${suffix}) exited ${run.code}`);
    const applied = await count(reader.pool, 'SELECT count(*)::int AS n FROM buddy_system_events');
    return { rate: applied / run.seconds, seconds: run.seconds, rssMb: run.rssMb };
  } finally {
    await reader.drop();
  }
}

/**
 * The settings of the Dockerfile that bound the image's memory: V8's heap cap (NODE_OPTIONS) and glibc's
 * malloc arenas (MALLOC_ARENA_MAX). (a) runs the processor with them, as the image does.
 */
export function imageEnv(): Record<string, string> {
  const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
  const env: Record<string, string> = {};
  for (const name of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX']) {
    const value = new RegExp(`^ENV ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];
    if (value === undefined) throw new Error(`the Dockerfile sets no ${name}`);
    env[name] = value;
  }
  return env;
}

export interface Latency {
  p50: number;
  p99: number;
  samples: number;
  batches: number;
}

/**
 * Bench (d) in a process of its own (bench/latency.ts of `checkout`, this one by default) with `env`
 * added and the image's settings (imageEnv), as the processor runs in production: not in the bench's
 * process, whose heap holds what the runs before it left.
 */
export function latencyInProcess(options: {
  rate: number;
  seconds: number;
  checkout?: string;
  env?: Record<string, string>;
}): Promise<Latency> {
  const checkout = options.checkout ?? new URL('..', import.meta.url).pathname;
  const script = `import { measureLatency } from './bench/latency.ts';
import { benchStream } from './bench/support.ts';
const d = await benchStream('l');
const r = await measureLatency(d, { ratePerSecond: ${options.rate}, seconds: ${options.seconds} });
await d.drop();
process.stdout.write('LATENCY ' + JSON.stringify(r) + '\\n');
process.exit(0);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: checkout,
      env: { ...process.env, ...imageEnv(), ...options.env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('LATENCY '));
      if (code !== 0 || !line) reject(new Error(`${checkout}: latency run exited ${code}`));
      else resolve(JSON.parse(line.slice('LATENCY '.length)) as Latency);
    });
  });
}

/** `NAME=value NAME=value`, for the tables. */
export const describeEnv = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');

/** Peak resident memory of a process, in MB (Linux VmHWM). */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is field 3, state. */
function statFields(pid: string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;

/** CPU seconds of this process's finished, reaped children (runCli's processor, with its own children). */
export function childrenCpuSeconds(): number {
  const f = statFields('self');
  return (Number(f[CUTIME]) + Number(f[CSTIME])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds used so far by the local PostgreSQL server: every live postgres process, plus what the
 * postmaster counted of the backends it reaped (connections that ended). A difference of two readings
 * is the server's CPU in between: what a write path costs Postgres, steadier than wall time on a busy
 * machine, and what bounds replicas sharing one primary.
 */
export function postgresCpuSeconds(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const f = statFields(pid);
      ticks += Number(f[UTIME]) + Number(f[STIME]) + Number(f[CUTIME]) + Number(f[CSTIME]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return ticks / TICKS_PER_SECOND;
}

export async function count(pool: pg.Pool, sql: string): Promise<number> {
  return (await pool.query<{ n: number }>(sql)).rows[0]!.n;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Publishes `records` spread evenly over `seconds` (a steady producer). A chunk the broker refuses (it is
 * being restarted) is sent again with a new producer; a record may then be written twice, which the
 * processor drops by its event id.
 */
export async function publishRecords(
  stream: BenchStream,
  records: readonly { topic: string; key: string | null; value: Buffer }[],
  seconds: number,
): Promise<void> {
  const kafka = createKafka(stream.config, log);
  let producer = createIdempotentProducer(kafka);
  await producer.connect();
  const chunks = Math.max(1, Math.round(seconds * 5));
  const size = Math.ceil(records.length / chunks);
  const started = performance.now();
  for (let i = 0; i * size < records.length; i++) {
    const chunk = records.slice(i * size, (i + 1) * size);
    const byTopic = new Map<string, { key: string | null; value: Buffer }[]>();
    for (const r of chunk) {
      const topic = stream.config.TOPIC_PREFIX + r.topic;
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: r.key, value: r.value }]);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        break;
      } catch (error) {
        if (attempt >= 20) throw error;
        await producer.disconnect().catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1_000));
        producer = createIdempotentProducer(kafka);
        await producer.connect().catch(() => undefined);
      }
    }
    const wait = started + ((i + 1) * seconds * 1000) / chunks - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await producer.disconnect();
}

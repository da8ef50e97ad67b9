// npm run chaos [-- --events N --seconds S --broker-restarts --postgres-restarts --soak]: a producer
// publishes a known programme (every type, 10% duplicates, 20% out of order, 1% invalid) while the harness
// injects faults at random moments: SIGKILL and restart a processor, add and remove processors (rebalance
// storms), terminate Postgres backends mid-transaction, and, opt-in below 1,000,000 events (the full size,
// where they are the defaults with --soak and 1,800 s): restart the Kafka broker (it is the shared local
// broker), restart Postgres (a private embedded server the harness starts for the run, on CHAOS_PG_PORT,
// default 25433: below the ephemeral port range, so that no client socket holds it). With --soak the
// producer publishes at a steady rate for the whole run and one processor is never killed: its memory is
// sampled and must stay flat. When the stream has drained, it checks the database and the topics against
// the reference model, prints a summary and exits non-zero on any violation.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { generateProgramme } from '../../src/synthetic/generate.ts';
import { benchStream, log, publishRecords } from '../../bench/support.ts';
import { computeExpected } from '../support/model.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { Random } from '../../src/synthetic/random.ts';

const BIN = new URL('../../bin/buddy-stream', import.meta.url).pathname;
const STACK = new URL('../../scripts/stack.mjs', import.meta.url).pathname;

const { values: given } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    seconds: { type: 'string' },
    seed: { type: 'string', default: '11' },
    'broker-restarts': { type: 'boolean' },
    'postgres-restarts': { type: 'boolean' },
    soak: { type: 'boolean' },
    // The full-size run's faults and soak without them (they are its defaults).
    'no-soak': { type: 'boolean', default: false },
    'no-restarts': { type: 'boolean', default: false },
  },
});
/**
 * At 1,000,000 events or more (`npm run chaos -- --events 1000000`) the run is the full-size one: 30
 * minutes of faults at a steady rate, broker and Postgres restarts, memory checked. Smaller runs default
 * to 60 s without them; a flag given says what it says.
 */
const fullSize = Number(given.events) >= 1_000_000;
const values = {
  events: given.events,
  seed: given.seed,
  seconds: given.seconds ?? (fullSize ? '1800' : '60'),
  soak: given.soak ?? (fullSize && !given['no-soak']),
  'broker-restarts': given['broker-restarts'] ?? (fullSize && !given['no-restarts']),
  'postgres-restarts': given['postgres-restarts'] ?? (fullSize && !given['no-restarts']),
};
const PRIVATE_PG_DIR = new URL('../../.stack/pg-chaos', import.meta.url).pathname;
const privatePg = {
  ...process.env,
  STACK_PG_DIR: PRIVATE_PG_DIR,
  DATABASE_URL: `postgres://127.0.0.1:${process.env.CHAOS_PG_PORT ?? '25433'}/buddy_chaos`,
};
/** Every processor's log, kept for the post-mortem of a violation or an exit. */
const LOG_DIR = new URL('../../.stack/chaos-logs', import.meta.url).pathname;
const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<number> {
  const rng = new Random(Number(values.seed));
  const programme = generateProgramme({
    seed: Number(values.seed),
    targetEvents: Number(values.events),
    duplicateRate: 0.1,
    outOfOrderRate: 0.2,
    invalidRate: 0.01,
  });
  const expected = computeExpected(programme.events);
  if (values['postgres-restarts']) {
    // A server of its own: restarting the machine's would pull it from under everything else.
    if ((await run(STACK, ['up', '--only=postgres'], privatePg)) !== 0)
      throw new Error('could not start the private PostgreSQL for --postgres-restarts');
    process.env.DATABASE_URL = privatePg.DATABASE_URL;
  }
  const stream = await benchStream('chaos', 6);
  // Connections die with restarts and terminated backends: the pool drops them, the harness goes on.
  stream.pool.on('error', () => undefined);
  const env = {
    ...stream.env,
    KAFKA_SESSION_TIMEOUT: '6s',
    BATCH_MAX_EVENTS: '300',
    SHUTDOWN_TIMEOUT: '20s',
  };
  const faults: Record<string, number> = {};
  const fault = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
  const until = Date.now() + Number(values.seconds) * 1000;
  const processors = new Set<ChildProcess>();
  // --soak: this one is never killed or removed; its memory is sampled every 5 s.
  let steady: ChildProcess | undefined;
  const rss: { at: number; mb: number }[] = [];
  /** Processors the harness stopped (SIGTERM), and what the others said when they exited non-zero. */
  const stopped = new Set<ChildProcess>();
  const crashes: string[] = [];
  let started = 0;
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  const start = () => {
    const child = spawn(BIN, ['run'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr!.pipe(createWriteStream(`${LOG_DIR}/processor-${++started}.log`));
    // The last lines a processor wrote, told when it exits of itself (not killed by the harness).
    let tail = '';
    child.stderr!.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2_000)));
    processors.add(child);
    child.on('exit', (code, signal) => {
      processors.delete(child);
      if (signal === null && code !== 0 && !stopped.has(child)) {
        // It stopped of itself. A deliberate exit (kafkajs gave up; the orchestrator restarts the pod,
        // as the harness does) is fine; an uncaught error, which Node reports with its version, is a crash.
        const last = tail.trim().split('\n').slice(-25).join(' | ');
        say(`a processor exited ${code}: ${last}`);
        if (tail.includes('Node.js v')) crashes.push(last);
        else fault('processor exited (restarted)');
        if (Date.now() < until) start();
      }
      if (child === steady)
        say(`the steady processor exited (${code ?? signal}): ${tail.trim().split('\n').pop()}`);
    });
    return child;
  };
  say(
    `${programme.stats.validEvents} events, ${programme.stats.records} records (${programme.stats.invalidRecords} invalid), faults for ${values.seconds} s${[
      values.soak && 'soak',
      values['broker-restarts'] && 'broker restarts',
      values['postgres-restarts'] && 'Postgres restarts',
    ]
      .filter(Boolean)
      .map((what) => `, ${what}`)
      .join('')}`,
  );

  const first = start();
  const began = Date.now();
  let sampler: NodeJS.Timeout | undefined;
  if (values.soak) {
    steady = first;
    sampler = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${steady!.pid}/status`, 'utf8');
        rss.push({ at: Date.now() - began, mb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024 });
      } catch {
        // It exited: the memory invariant reports it.
      }
    }, 5_000);
  }
  const publishSeconds = Number(values.seconds) * (values.soak ? 1 : 0.6);
  const publishing = publishRecords(stream, programme.records, publishSeconds);
  const admin = new pg.Pool({ connectionString: stream.config.DATABASE_URL, max: 1 });
  admin.on('error', () => undefined);
  while (Date.now() < until) {
    await sleep(rng.int(1_000, 4_000));
    const pick = rng.weighted([
      ['sigkill', 3],
      ['add', 2],
      ['remove', 2],
      ['terminate-backends', 3],
      ['broker-restart', values['broker-restarts'] ? 1 : 0],
      ['postgres-restart', values['postgres-restarts'] ? 1 : 0],
    ] as const);
    const running = [...processors].filter((p) => p !== steady);
    if (pick === 'sigkill' && running.length > 0) {
      rng.pick(running).kill('SIGKILL');
      fault('processor SIGKILLed');
      start();
    } else if (pick === 'add' && running.length < 3) {
      start();
      fault('processor added');
    } else if (pick === 'remove' && processors.size > 1 && running.length > 0) {
      const victim = rng.pick(running);
      stopped.add(victim);
      victim.kill('SIGTERM');
      fault('processor removed (SIGTERM)');
    } else if (pick === 'terminate-backends') {
      const terminated = await admin
        .query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`,
        )
        .then((r) => r.rowCount ?? 0)
        .catch(() => 0);
      if (terminated) fault('Postgres backends terminated');
    } else if (pick === 'postgres-restart') {
      // pg_ctl's fast shutdown (open transactions roll back), then a start on the same data.
      await run(STACK, ['down', '--only=postgres'], privatePg);
      await run(STACK, ['up', '--only=postgres'], privatePg);
      fault('Postgres restarted');
    } else if (pick === 'broker-restart') {
      await run(STACK, ['down', '--only=kafka']);
      await sleep(1_000);
      await run(STACK, ['up', '--only=kafka']);
      fault('Kafka broker restarted');
    }
    if (processors.size === 0) start();
  }
  await publishing;
  if (sampler) clearInterval(sampler);
  const steadyAlive = steady !== undefined && steady.exitCode === null && steady.signalCode === null;
  say('faults over; draining');
  for (const child of processors) {
    stopped.add(child);
    child.kill('SIGTERM');
  }
  await sleep(2_000);
  const last = spawn(BIN, ['run', '--until-caught-up'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => last.on('close', resolve));
  await admin.end();

  const violations: string[] = [];
  if (code !== 0) violations.push(`the draining run exited ${code}`);
  for (const crash of crashes.slice(0, 3)) violations.push(`a processor crashed: ${crash.slice(-400)}`);
  const snapshot = await snapshotDatabase(stream.pool);
  const tables = Object.keys(expected) as (keyof typeof expected)[];
  for (const table of tables) {
    const want = expected[table] as Record<string, unknown>;
    const got = snapshot[table] as Record<string, unknown>;
    for (const key of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (JSON.stringify(want[key]) !== JSON.stringify(got[key]))
        violations.push(`${table}[${key}] differs from the model`);
    }
  }
  const invalid = programme.records.filter((r) => !r.valid).length;
  const letters = await readAll(stream.config.KAFKA_BROKERS, stream.config.DLQ_TOPIC);
  // Compared by origin (topic and content): a chunk the producer had to send again holds its invalid
  // records twice, and the generator may make two invalid records alike.
  const originOf = (topic: string, value: Buffer | string) =>
    `${topic}/${createHash('sha1').update(value).digest('hex')}`;
  const wanted = new Set(
    programme.records
      .filter((r) => !r.valid)
      .map((r) => originOf(stream.config.TOPIC_PREFIX + r.topic, r.value)),
  );
  const origins = new Set(letters.map((h) => `${h['__connect.errors.topic']}/${h._hash}`));
  const withReason = letters.every((h) => (h['__connect.errors.exception.message'] ?? '').length > 0);
  const missing = [...wanted].filter((o) => !origins.has(o));
  const extra = letters.filter((h) => !wanted.has(`${h['__connect.errors.topic']}/${h._hash}`));
  if (missing.length > 0)
    violations.push(`dead letters: ${missing.length} invalid records not dead-lettered`);
  for (const h of extra.slice(0, 5))
    violations.push(
      `dead letters: a record of ${h['__connect.errors.topic']} that is valid was dead-lettered: ${h['__connect.errors.exception.message']}`,
    );
  if (!withReason) violations.push('a dead letter has no reason');
  const texts = await readAll(stream.config.KAFKA_BROKERS, stream.config.Q2Q_TEXT_TOPIC, true);
  const textIds = new Set(texts.map((t) => t.textId));
  const expectedTexts = (
    await stream.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE topic = 'q2q.text.requested'",
    )
  ).rows[0]!.n;
  if (textIds.size !== expectedTexts)
    violations.push(`q2q texts: ${textIds.size} distinct published, ${expectedTexts} enqueued`);
  const parkedOld = (
    await stream.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM parked_events WHERE parked_at < now() - interval '24 hours'`,
    )
  ).rows[0]!.n;
  if (parkedOld > 0) violations.push(`${parkedOld} parked events older than their timeout`);
  let memory = '';
  if (values.soak) {
    // Flat: after the first quarter (warm-up), the last quarter's peak is within 25% of the second's.
    const quarter = (q: number) =>
      rss.filter(
        (s) => s.at >= (q - 1) * (Number(values.seconds) * 250) && s.at < q * Number(values.seconds) * 250,
      );
    const peak = (samples: { mb: number }[]) => Math.max(0, ...samples.map((s) => s.mb));
    const [q2, q4] = [peak(quarter(2)), peak(quarter(4))];
    memory = `steady processor RSS peak ${q2.toFixed(0)} MB in the second quarter, ${q4.toFixed(0)} MB in the last (${rss.length} samples)`;
    if (!steadyAlive) violations.push('memory: the steady processor did not live through the run');
    else if (q2 === 0 || q4 > q2 * 1.25) violations.push(`memory grew: ${memory}`);
  }

  process.stdout.write(
    [
      'chaos summary',
      `  events: ${programme.stats.validEvents} valid (${programme.stats.duplicates} re-sent, ${programme.stats.movedEarlier} out of order), ${invalid} invalid`,
      `  faults: ${
        Object.entries(faults)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`,
      `  invariants: no processor crashed, raw events once each, ${tables.length} tables equal to the model, dead letters with reasons, q2q texts once after dedupe by textId, no stale parked events${values.soak ? ', memory flat' : ''}`,
      ...(memory ? [`  memory: ${memory}`] : []),
      `  logs: ${started} processors, in .stack/chaos-logs/processor-<n>.log`,
      `  violations: ${violations.length}`,
      ...violations.slice(0, 30).map((v) => `    - ${v}`),
      // One line per invariant family, in the plain form CI summaries read.
      `chaos: ${INVARIANTS - failedInvariants(violations)} passed, ${failedInvariants(violations)} failed`,
      '',
    ].join('\n'),
  );
  await stream.drop();
  if (values['postgres-restarts']) await run(STACK, ['down', '--only=postgres'], privatePg);
  return violations.length === 0 ? 0 : 1;
}

/**
 * The invariant families checked: no crash (the processors and the draining run), tables vs the model,
 * dead letters, q2q texts, parking, memory.
 */
const INVARIANTS = values.soak ? 6 : 5;

function failedInvariants(violations: string[]): number {
  const families = [
    /^the draining run|^a processor crashed/,
    /differs from the model$/,
    /^dead letters|^a dead letter/,
    /^q2q texts/,
    /parked events/,
    /^memory/,
  ];
  return families.filter((f) => violations.some((v) => f.test(v))).length;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  return new Promise((resolve) =>
    spawn('node', [cmd, ...args], { stdio: 'ignore', env }).on('close', (code) => resolve(code)),
  );
}

/** Every record of a topic: the headers, or the parsed values. */
async function readAll(brokers: string[], topic: string, values = false): Promise<Record<string, string>[]> {
  const kafka = new Kafka({ clientId: 'chaos-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  const out: Record<string, string>[] = [];
  if (total === 0) return out;
  const consumer = kafka.consumer({ groupId: `chaos-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        if (values) out.push(JSON.parse(message.value!.toString()));
        else {
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
          );
          headers._hash = createHash('sha1')
            .update(message.value ?? Buffer.alloc(0))
            .digest('hex');
          out.push(headers);
        }
        if (out.length >= total) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error({ err: (error as Error).message }, 'chaos harness failed');
    process.stderr.write(`chaos failed: ${(error as Error).stack}\n`);
    process.exit(2);
  },
);

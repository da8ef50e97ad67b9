// npm run chaos [-- --events N --seconds S --broker-restarts]: a producer publishes a known programme
// (every type, 10% duplicates, 20% out of order, 1% invalid) while the harness injects faults at random
// moments: SIGKILL and restart a processor, add and remove processors (rebalance storms), terminate
// Postgres backends mid-transaction, and (opt-in, it stops the shared broker) restart Kafka. When the
// stream has drained, it checks the database and the topics against the reference model, prints a
// summary and exits non-zero on any violation.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
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

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string', default: '11' },
    'broker-restarts': { type: 'boolean', default: false },
  },
});
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
  const stream = await benchStream('chaos', 6);
  const env = {
    ...stream.env,
    KAFKA_SESSION_TIMEOUT: '6s',
    BATCH_MAX_EVENTS: '300',
    SHUTDOWN_TIMEOUT: '20s',
  };
  const faults: Record<string, number> = {};
  const fault = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
  const processors = new Set<ChildProcess>();
  const start = () => {
    const child = spawn(BIN, ['run'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    processors.add(child);
    child.on('exit', () => processors.delete(child));
    return child;
  };
  say(
    `${programme.stats.validEvents} events, ${programme.stats.records} records (${programme.stats.invalidRecords} invalid), faults for ${values.seconds} s`,
  );

  start();
  const publishing = publishRecords(stream, programme.records, Number(values.seconds) * 0.6);
  const until = Date.now() + Number(values.seconds) * 1000;
  const admin = new pg.Pool({ connectionString: stream.config.DATABASE_URL, max: 1 });
  while (Date.now() < until) {
    await sleep(rng.int(1_000, 4_000));
    const pick = rng.weighted([
      ['sigkill', 3],
      ['add', 2],
      ['remove', 2],
      ['terminate-backends', 3],
      ['broker-restart', values['broker-restarts'] ? 1 : 0],
    ] as const);
    const running = [...processors];
    if (pick === 'sigkill' && running.length > 0) {
      rng.pick(running).kill('SIGKILL');
      fault('processor SIGKILLed');
      start();
    } else if (pick === 'add' && running.length < 3) {
      start();
      fault('processor added');
    } else if (pick === 'remove' && running.length > 1) {
      rng.pick(running).kill('SIGTERM');
      fault('processor removed (SIGTERM)');
    } else if (pick === 'terminate-backends') {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')`,
      );
      if (rowCount) fault('Postgres backends terminated');
    } else if (pick === 'broker-restart') {
      await run(STACK, ['down']);
      await sleep(1_000);
      await run(STACK, ['up']);
      fault('Kafka broker restarted');
    }
    if (processors.size === 0) start();
  }
  await publishing;
  say('faults over; draining');
  for (const child of processors) child.kill('SIGTERM');
  await sleep(2_000);
  const last = spawn(BIN, ['run', '--until-caught-up'], { env: { ...process.env, ...env }, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => last.on('close', resolve));
  await admin.end();

  const violations: string[] = [];
  if (code !== 0) violations.push(`the draining run exited ${code}`);
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
  // Distinct by content: a chunk the producer had to send again holds its invalid records twice.
  const origins = new Set(letters.map((h) => `${h['__connect.errors.topic']}/${h._hash}`));
  const withReason = letters.every((h) => (h['__connect.errors.exception.message'] ?? '').length > 0);
  if (origins.size !== invalid)
    violations.push(`dead letters: ${origins.size} distinct, ${invalid} invalid records published`);
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

  process.stdout.write(
    [
      'chaos summary',
      `  events: ${programme.stats.validEvents} valid (${programme.stats.duplicates} re-sent, ${programme.stats.movedEarlier} out of order), ${invalid} invalid`,
      `  faults: ${
        Object.entries(faults)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || 'none'
      }`,
      `  invariants: raw events once each, ${tables.length} tables equal to the model, dead letters with reasons, q2q texts once after dedupe by textId, no stale parked events`,
      `  violations: ${violations.length}`,
      ...violations.slice(0, 30).map((v) => `    - ${v}`),
      // One line per invariant family, in the plain form CI summaries read.
      `chaos: ${INVARIANTS - failedInvariants(violations)} passed, ${failedInvariants(violations)} failed`,
      '',
    ].join('\n'),
  );
  await stream.drop();
  return violations.length === 0 ? 0 : 1;
}

/** The invariant families checked: the draining run, tables vs the model, dead letters, q2q texts, parking. */
const INVARIANTS = 5;

function failedInvariants(violations: string[]): number {
  const families = [
    /^the draining run/,
    /differs from the model$/,
    /^dead letters|^a dead letter/,
    /^q2q texts/,
    /parked events/,
  ];
  return families.filter((f) => violations.some((v) => f.test(v))).length;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve) =>
    spawn('node', [cmd, ...args], { stdio: 'ignore' }).on('close', () => resolve()),
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

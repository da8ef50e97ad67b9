// npm run bench:profile [-- --events N --keep]: where a backlog run's time goes. Publishes a programme, runs the
// processor in this process with every Postgres statement timed (client side: round trip + server time),
// and prints the statements by total time, the batch sizes, and the share of wall time spent waiting on
// Postgres. --cpu-prof FILE also writes a V8 CPU profile of the processing alone (not the publishing),
// for Chrome DevTools or speedscope, and prints its top functions by self time.
// --rate R [--seconds S]: the same statement table for bench (d)'s steady rate instead of a backlog (R
// events/s for S seconds from a producer in its own process), with the latency, the time per batch and
// each second's batches and worst latency (where the p99 comes from).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createKafka } from '../src/kafka/client.ts';
import { createMetrics } from '../src/ops/metrics.ts';
import { createProcessor } from '../src/processor.ts';
import { measureLatency } from './latency.ts';
import { benchStream, count, log, publishProgramme } from './support.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '50000' },
    keep: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '20' },
  },
});

interface Timing {
  calls: number;
  ms: number;
  rows: number;
}
const timings = new Map<string, Timing>();
let inFlight = 0;
let busySince = 0;
let busyMs = 0;

/** Wraps pg.Client#query: per statement (its first line, trimmed), calls and client-side time. */
function instrument(): void {
  const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as unknown;
    const text =
      typeof first === 'string'
        ? first
        : first && typeof first === 'object' && 'text' in first
          ? String((first as { text: unknown }).text)
          : 'COPY (stream)';
    const label = text.replace(/\s+/g, ' ').trim().slice(0, 90);
    const began = performance.now();
    if (inFlight++ === 0) busySince = began;
    const done = (rows: number) => {
      const t = timings.get(label) ?? { calls: 0, ms: 0, rows: 0 };
      t.calls++;
      t.ms += performance.now() - began;
      t.rows += rows;
      timings.set(label, t);
      if (--inFlight === 0) busyMs += performance.now() - busySince;
    };
    const result = original.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<{ rowCount?: number | null }>).then(
        (r) => done(r?.rowCount ?? 0),
        () => done(0),
      );
    } else if (result && typeof (result as NodeJS.EventEmitter).on === 'function') {
      // A COPY stream: timed until it finishes.
      const stream = result as NodeJS.EventEmitter;
      stream.on('finish', () => done(0));
      stream.on('error', () => done(0));
    } else {
      done(0);
    }
    return result;
  } as typeof pg.Client.prototype.query;
}

/** The statements by total time, the longest first. */
function statementTable(batches?: number): string[] {
  const out = [
    `| ms total | calls | ms/call |${batches ? ' ms/batch |' : ''} statement |`,
    `|---:|---:|---:|${batches ? '---:|' : ''}---|`,
  ];
  const sorted = [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30);
  for (const [label, t] of sorted)
    out.push(
      `| ${t.ms.toFixed(0)} | ${t.calls} | ${(t.ms / t.calls).toFixed(2)} |` +
        `${batches ? ` ${(t.ms / batches).toFixed(1)} |` : ''} \`${label}\` |`,
    );
  return out;
}

/** --rate: bench (d) with the statements timed. */
async function steady(rate: number, seconds: number) {
  const stream = await benchStream('p');
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const loopStart = performance.eventLoopUtilization();
  busyMs = 0;
  const latency = await measureLatency(stream, { ratePerSecond: rate, seconds });
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const loop = performance.eventLoopUtilization(loopStart);
  const out = [
    `${latency.samples} events at ${rate}/s: p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms; ` +
      `${latency.batches} batches, mean ${(latency.samples / Math.max(1, latency.batches)).toFixed(0)} records`,
    `process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of ${wall.toFixed(1)} s wall (start and stop ` +
      `included; event loop busy ${(100 * loop.utilization).toFixed(0)}%); some Postgres statement in flight ` +
      `${(busyMs / 1000).toFixed(1)} s`,
    '',
    "Each second from the producer's start: batches committed, their records, the worst latency among them (ms).",
    '',
    '| s | batches | records | worst ms |',
    '|---:|---:|---:|---:|',
    ...latency.timeline.map((s) => `| ${s.second} | ${s.batches} | ${s.records} | ${s.worstMs.toFixed(0)} |`),
    '',
    ...statementTable(latency.batches),
  ];
  process.stdout.write(out.join('\n') + '\n');
  if (!values.keep) await stream.drop();
  else await stream.pool.end();
}

async function main() {
  instrument();
  if (values.rate) return steady(Number(values.rate), Number(values.seconds));
  const events = Number(values.events);
  const stream = await benchStream('p');
  const stats = await publishProgramme(stream, { seed: 42, targetEvents: events });
  process.stderr.write(`profile: published ${stats.records} records\n`);
  const config = stream.config;
  const metrics = createMetrics();
  const sizes: number[] = [];
  let firstCommitMs: number | undefined;
  let started = 0;
  const processor = createProcessor({
    config,
    kafka: createKafka(config, log),
    logger: log,
    metrics,
    onBatchCommitted: (records) => {
      sizes.push(records.length);
      firstCommitMs ??= performance.now() - started;
    },
  });
  // What waits, sampled: the peak count of parked events per type and what they wait for.
  const parkedPeak = new Map<string, number>();
  const sampler = setInterval(() => {
    stream.pool
      .query<{ k: string; n: number }>(
        `SELECT event_type || ' waiting for ' || waiting_for_kind AS k, count(*)::int AS n
         FROM parked_events GROUP BY 1`,
      )
      .then(
        (r) => r.rows.forEach((row) => parkedPeak.set(row.k, Math.max(parkedPeak.get(row.k) ?? 0, row.n))),
        () => undefined,
      );
  }, 250);
  const inspector = values['cpu-prof'] ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  started = performance.now();
  const cpuStart = process.cpuUsage();
  const loopStart = performance.eventLoopUtilization();
  await processor.start();
  await processor.waitUntilCaughtUp({ pollMs: 200 });
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const loop = performance.eventLoopUtilization(loopStart);
  const cpuTop: string[] = [];
  if (inspector) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(values['cpu-prof']!, JSON.stringify(profile));
    cpuTop.push(...topFunctions(profile));
  }
  await processor.stop();
  const applied = await count(stream.pool, 'SELECT count(*)::int AS n FROM buddy_system_events');
  const parked = await count(
    stream.pool,
    'SELECT count(*)::int AS n FROM buddy_system_events WHERE processed_at IS NULL',
  );
  const out: string[] = [];
  out.push(
    `${applied} events in ${seconds.toFixed(1)} s = ${(applied / seconds).toFixed(0)} events/s; ` +
      `${sizes.length} batches, mean ${(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)).toFixed(0)} records; ` +
      `parked at the end ${parked}; unparked ${processor.totals.unparked}, parked ${processor.totals.parked}`,
  );
  out.push(
    `process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s of ${seconds.toFixed(1)} s wall ` +
      `(event loop busy ${(100 * loop.utilization).toFixed(0)}%); ` +
      `some Postgres statement in flight ${(busyMs / 1000).toFixed(1)} s`,
  );
  // Batches busy: the sum of the batch durations (one writer: they do not overlap); the rest of the wall
  // time after the first commit is the pipeline waiting for records (fetching, decoding, collecting).
  const batchSeconds =
    (await metrics.batchDuration.get()).values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? NaN;
  out.push(
    `first batch committed after ${((firstCommitMs ?? NaN) / 1000).toFixed(1)} s (start, group join, first fetch); ` +
      `batches busy ${batchSeconds.toFixed(1)} s`,
  );
  out.push(`parked, peak sampled: ${[...parkedPeak].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  out.push('', ...statementTable());
  if (cpuTop.length > 0) out.push('', `CPU profile in ${values['cpu-prof']}; self time:`, ...cpuTop);
  process.stdout.write(out.join('\n') + '\n');
  if (!values.keep) await stream.drop();
  else await stream.pool.end();
}

/** The functions with the most self time, with their file. */
function topFunctions(profile: {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}): string[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url.replace(/^.*node_modules\//, '').replace(/^.*?\/(src|bench)\//, '$1/');
    const key = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    const dt = profile.timeDeltas?.[i] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(
      ([k, us]) =>
        `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`profile failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

// npm run bench:compare -- [--events N] [--pairs K] [--rate R] <checkout> [<checkout> ...]: two or more builds side by side
// on the same published events. This machine's throughput drifts by 10% or more between runs of one build,
// so a change only counts against the build before it, measured in alternating order: for each pair, each
// checkout (a directory with bin/buddy-stream, e.g. a `git worktree` of the commit before) reads the same
// topics with `run --until-caught-up` into a fresh database and its own consumer group.
// Per run: the time to the process's exit and to its last write (max processed_at), and the stop between.
// --rate R [--seconds S]: instead, bench (d) in each checkout (its own bench/latency.ts, in a process of its
// own: R events/s for S seconds into fresh topics and database), p50 and p99 per run, alternating as above.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  anotherReader,
  benchStream,
  count,
  imageEnv,
  latencyInProcess,
  postgresCpuSeconds,
  publishProgramme,
  runCli,
  type Latency,
} from './support.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '100000' },
    pairs: { type: 'string', default: '3' },
    rate: { type: 'string' },
    seconds: { type: 'string', default: '20' },
  },
});
const say = (line: string) => process.stderr.write(`compare: ${line}\n`);

interface Run {
  exitSeconds: number;
  lastWriteSeconds: number;
  events: number;
  rssMb: number;
  /** CPU µs per event: the processor's (all its threads), and the Postgres server's over the run. */
  processorCpuUs: number;
  postgresCpuUs: number;
}

async function compareLatency(checkouts: string[], rate: number, seconds: number) {
  for (const c of checkouts)
    if (!existsSync(path.join(c, 'bench/latency.ts'))) throw new Error(`${c} has no bench/latency.ts`);
  const runs = new Map<string, Latency[]>(checkouts.map((c) => [c, []]));
  for (let pair = 0; pair < Number(values.pairs); pair++) {
    const order = pair % 2 === 0 ? checkouts : [...checkouts].reverse();
    for (const checkout of order) {
      const result = await latencyInProcess({ rate, seconds, checkout });
      runs.get(checkout)!.push(result);
      say(
        `pair ${pair + 1} ${checkout}: p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms, ` +
          `${result.batches} batches`,
      );
    }
  }
  process.stdout.write(`| checkout | p50 ms, each pair | p99 ms, each pair | batches |\n|---|---|---|---|\n`);
  for (const [checkout, list] of runs) {
    const each = (pick: (l: Latency) => number) => list.map((l) => pick(l).toFixed(0)).join(', ');
    process.stdout.write(
      `| ${checkout} | ${each((l) => l.p50)} | ${each((l) => l.p99)} | ${each((l) => l.batches)} |\n`,
    );
  }
}

async function main() {
  const checkouts = positionals.map((p) => path.resolve(p));
  if (new Set(checkouts).size < 2 || new Set(checkouts).size !== checkouts.length)
    throw new Error('give two or more different checkouts to compare');
  if (values.rate) return compareLatency(checkouts, Number(values.rate), Number(values.seconds));
  for (const c of checkouts)
    if (!existsSync(path.join(c, 'bin/buddy-stream'))) throw new Error(`${c} has no bin/buddy-stream`);
  const stream = await benchStream('cmp');
  const runs = new Map<string, Run[]>(checkouts.map((c) => [c, []]));
  try {
    const stats = await publishProgramme(stream, { seed: 42, targetEvents: Number(values.events) });
    say(`published ${stats.records} records`);
    for (let pair = 0; pair < Number(values.pairs); pair++) {
      const order = pair % 2 === 0 ? checkouts : [...checkouts].reverse();
      for (const checkout of order) {
        const reader = await anotherReader(stream, `p${pair}c${checkouts.indexOf(checkout)}`);
        try {
          const startedAt = Date.now();
          const postgresBefore = postgresCpuSeconds();
          // As the image runs it (the Dockerfile's NODE_OPTIONS, MALLOC_ARENA_MAX), like (a) in npm run bench.
          const run = await runCli(
            ['run', '--until-caught-up'],
            { ...reader.env, ...imageEnv() },
            path.join(checkout, 'bin/buddy-stream'),
          );
          const postgresSeconds = postgresCpuSeconds() - postgresBefore;
          if (run.code !== 0) throw new Error(`${checkout}: run exited ${run.code}`);
          const events = await count(reader.pool, 'SELECT count(*)::int AS n FROM buddy_system_events');
          const last = await reader.pool.query<{ at: Date }>(
            'SELECT max(processed_at) AS at FROM buddy_system_events',
          );
          const lastWriteSeconds = (last.rows[0]!.at.getTime() - startedAt) / 1000;
          const result: Run = {
            exitSeconds: run.seconds,
            lastWriteSeconds,
            events,
            rssMb: run.rssMb,
            processorCpuUs: (run.cpuSeconds / events) * 1e6,
            postgresCpuUs: (postgresSeconds / events) * 1e6,
          };
          runs.get(checkout)!.push(result);
          say(
            `pair ${pair + 1} ${checkout}: ${events} events, exit ${result.exitSeconds.toFixed(1)} s ` +
              `(${(events / result.exitSeconds).toFixed(0)}/s), last write ${lastWriteSeconds.toFixed(1)} s, ` +
              `stop ${(result.exitSeconds - lastWriteSeconds).toFixed(1)} s, rss ${result.rssMb} MB, ` +
              `CPU per event ${result.processorCpuUs.toFixed(0)} µs processor, ${result.postgresCpuUs.toFixed(0)} µs Postgres`,
          );
        } finally {
          await reader.drop();
        }
      }
    }
  } finally {
    await stream.drop();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = runs.get(checkouts[0]!)!;
  const baseRate = mean(base.map((r) => r.events / r.exitSeconds));
  process.stdout.write(
    '| checkout | events/s to exit, each pair | mean | vs first | mean stop (s) | CPU µs per event: processor, Postgres (mean) |\n' +
      '|---|---|---:|---:|---:|---:|\n',
  );
  for (const [checkout, list] of runs) {
    const rates = list.map((r) => r.events / r.exitSeconds);
    process.stdout.write(
      `| ${checkout} | ${rates.map((r) => r.toFixed(0)).join(', ')} | ${mean(rates).toFixed(0)} | ` +
        `${(mean(rates) / baseRate).toFixed(2)}x | ${mean(list.map((r) => r.exitSeconds - r.lastWriteSeconds)).toFixed(1)} | ` +
        `${mean(list.map((r) => r.processorCpuUs)).toFixed(0)}, ${mean(list.map((r) => r.postgresCpuUs)).toFixed(0)} |\n`,
    );
  }
}

main().catch((error: unknown) => {
  say(`failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});

// npm run bench:scale [-- --events N --partitions P --replicas 1,2,3]: scale-out in one consumer group. For
// each replica count, a fresh database and fresh P-partition topics hold the same programme; that many
// processors (`buddy-stream run --until-caught-up`, separate processes) start together and the time
// until all of them exit (every partition applied) gives events/s. Also prints where the CPU went:
// the processors' and Postgres's CPU seconds during the run (from /proc), to show where the
// bottleneck sits on this machine.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { benchStream, count, peakRssMb, publishProgramme } from './support.ts';

const BIN = new URL('../bin/buddy-stream', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '12' },
    replicas: { type: 'string', default: '1,2,3' },
  },
});
const say = (line: string) => process.stderr.write(`scale: ${line}\n`);
const TICKS = 100; // USER_HZ

/** CPU seconds (user + system) of a process and its children that have exited, from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS;
  } catch {
    return 0;
  }
}

/** Total CPU seconds of every process whose command line starts with `postgres`. */
function postgresCpu(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmd.startsWith('postgres') || cmd.includes('/bin/postgres')) total += cpuSeconds(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

async function main() {
  const events = Number(values.events);
  const partitions = Number(values.partitions);
  const counts = values.replicas.split(',').map(Number);
  const rows: string[] = [];
  let single = 0;
  for (const replicas of counts) {
    const stream = await benchStream(`s${replicas}`, partitions);
    await publishProgramme(stream, { seed: 42, targetEvents: events });
    const pgBefore = postgresCpu();
    const started = performance.now();
    const children = Array.from({ length: replicas }, () =>
      spawn(BIN, ['run', '--until-caught-up'], {
        env: { ...process.env, ...stream.env },
        stdio: ['ignore', 'ignore', 'inherit'],
      }),
    );
    const rss = new Map<number, number>();
    const cpu = new Map<number, number>();
    const sampler = setInterval(() => {
      for (const child of children) {
        try {
          rss.set(child.pid!, Math.max(rss.get(child.pid!) ?? 0, peakRssMb(child.pid!)));
          cpu.set(child.pid!, cpuSeconds(child.pid!));
        } catch {
          // Exited.
        }
      }
    }, 200);
    const codes = await Promise.all(
      children.map((c) => new Promise<number | null>((resolve) => c.on('close', resolve))),
    );
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    const pgCpu = postgresCpu() - pgBefore;
    if (codes.some((c) => c !== 0)) throw new Error(`a processor exited ${codes.join(', ')}`);
    const applied = await count(stream.pool, 'SELECT count(*)::int AS n FROM buddy_system_events');
    const rate = applied / seconds;
    if (replicas === counts[0]) single = rate;
    const processCpu = [...cpu.values()].reduce((a, b) => a + b, 0);
    const line = `| ${replicas} | ${partitions} | ${applied} | ${seconds.toFixed(1)} | ${rate.toFixed(0)} | ${(rate / single).toFixed(2)}x | ${processCpu.toFixed(0)} s | ${pgCpu.toFixed(0)} s | ${Math.max(...rss.values())} MB |`;
    rows.push(line);
    say(line);
    await stream.drop();
  }
  const table = [
    `Scale-out, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}); \`npm run bench:scale -- --events ${events} --partitions ${partitions}\``,
    '',
    '| replicas | partitions per topic | events | seconds | events/s | vs first | processors CPU | Postgres CPU | peak RSS per processor |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n');
  process.stdout.write(table);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`scale failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

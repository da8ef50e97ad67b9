// npm run bench:knobs [-- --events N]: the measured effect of each tuning knob. The programme is published
// once; then, for the defaults and for each variant (one setting changed), a fresh database and a new
// consumer group read the same topics with `buddy-stream run --until-caught-up`: events/s and peak RSS.
import { parseArgs } from 'node:util';
import { benchStream, publishProgramme, runAnotherReader } from './support.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '60000' },
    only: { type: 'string' },
  },
});
const say = (line: string) => process.stderr.write(`knobs: ${line}\n`);

/** One setting changed from the defaults per variant; the first and the last are the defaults themselves. */
const VARIANTS: { knob: string; env: Record<string, string> }[] = [
  { knob: 'defaults', env: {} },
  { knob: 'BATCH_MAX_EVENTS=500', env: { BATCH_MAX_EVENTS: '500' } },
  { knob: 'BATCH_MAX_EVENTS=2000', env: { BATCH_MAX_EVENTS: '2000' } },
  { knob: 'BATCH_MAX_EVENTS=20000', env: { BATCH_MAX_EVENTS: '20000' } },
  { knob: 'PARTITIONS_CONSUMED_CONCURRENTLY=2', env: { PARTITIONS_CONSUMED_CONCURRENTLY: '2' } },
  { knob: 'BATCH_WRITERS=2', env: { BATCH_WRITERS: '2' } },
  { knob: 'BACKLOG_ORDER=false', env: { BACKLOG_ORDER: 'false' } },
  { knob: 'FETCH_MAX_BYTES_PER_PARTITION=256KiB', env: { FETCH_MAX_BYTES_PER_PARTITION: '262144' } },
  { knob: 'FETCH_MAX_BYTES=64MiB', env: { FETCH_MAX_BYTES: '67108864' } },
  { knob: 'COPY_CHUNK_ROWS=50', env: { COPY_CHUNK_ROWS: '50' } },
  { knob: 'COPY_CHUNK_ROWS=5000', env: { COPY_CHUNK_ROWS: '5000' } },
  { knob: 'PG_POOL_SIZE=4', env: { PG_POOL_SIZE: '4' } },
  // Not a buddy-stream setting: V8's old-generation limit, which bounds how far the heap grows before a
  // full collection (the deployment sets it in NODE_OPTIONS).
  { knob: 'NODE_OPTIONS=--max-old-space-size=128', env: { NODE_OPTIONS: '--max-old-space-size=128' } },
  { knob: 'NODE_OPTIONS=--max-old-space-size=256', env: { NODE_OPTIONS: '--max-old-space-size=256' } },
  // Again at the end: the spread between the two is the noise of the machine over the run.
  { knob: 'defaults (again)', env: {} },
];

async function main() {
  const stream = await benchStream('k');
  const stats = await publishProgramme(stream, { seed: 42, targetEvents: Number(values.events) });
  say(`published ${stats.records} records`);
  const rows: string[] = [];
  let baseline = 0;
  // --only keeps the two defaults rows: the baseline and the noise.
  const variants = values.only
    ? VARIANTS.filter((v) => v.knob.startsWith('defaults') || v.knob.startsWith(values.only!))
    : VARIANTS;
  for (const [i, variant] of variants.entries()) {
    const { rate, rssMb: rss } = await runAnotherReader(stream, String(i), variant.env);
    if (i === 0) baseline = rate;
    const row = `| ${variant.knob} | ${rate.toFixed(0)} | ${(rate / baseline).toFixed(2)}x | ${rss} MB |`;
    rows.push(row);
    say(row);
  }
  await stream.drop();
  process.stdout.write(
    [
      `\`npm run bench:knobs -- --events ${values.events}\` (${stats.records} records; each row one setting changed)`,
      '',
      '| setting | events/s | vs defaults | peak RSS |',
      '|---|---:|---:|---:|',
      ...rows,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`knobs failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

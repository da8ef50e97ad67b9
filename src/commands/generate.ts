// `buddy-stream generate`: a seeded, realistic synthetic Buddy programme (src/synthetic/generate.ts)
// to an NDJSON file or straight to Kafka.
import { InvalidArgumentError, type Command } from 'commander';
import { createUpstreamProducer, createKafka } from '../kafka/client.ts';
import { share, wholeNumber, type CommandContext, type Wrap } from '../ops-tools/command.ts';
import { confirm, REFUSED_EXIT, type ChangeOptions } from '../ops-tools/confirm.ts';
import { createProgress } from '../ops-tools/progress.ts';
import {
  iterateProgramme,
  resolveOptions,
  type ProgrammeOptions,
  type ResolvedOptions,
  type SyntheticStats,
} from '../synthetic/generate.ts';
import { kafkaSink, ndjsonSink, type RecordSink } from '../synthetic/output.ts';

interface GenerateOptions extends ChangeOptions, ProgrammeOptions {
  out?: string;
  toKafka?: boolean;
}

const isoDateTime = (text: string) => {
  if (Number.isNaN(Date.parse(text))) throw new InvalidArgumentError('--start must be an ISO-8601 date-time');
  return text;
};

export function registerGenerate(program: Command, wrap: Wrap): void {
  program
    .command('generate')
    .description(
      'a seeded, realistic synthetic Buddy programme, to an NDJSON file of {topic, key, value} or to Kafka',
    )
    .option('--out <file>', "write NDJSON here ('-' for stdout)")
    .option('--to-kafka', 'publish to the buddy.* topics (after TOPIC_PREFIX) instead')
    .option('--seed <n>', 'seed: the same seed gives the same programme', wholeNumber('--seed'))
    .option('--participants <n>', 'participants', wholeNumber('--participants'))
    .option('--buddies <n>', 'buddies', wholeNumber('--buddies'))
    .option('--weeks <n>', 'weeks the programme runs', wholeNumber('--weeks'))
    .option('--companies <n>', 'tenants (metadata.companyId)', wholeNumber('--companies'))
    .option('--start <iso>', 'first day of the programme', isoDateTime)
    .option(
      '--target-events <n>',
      'about this many distinct valid events (scales people)',
      wholeNumber('--target-events'),
    )
    .option('--duplicate-rate <share>', 're-sent events (same id)', share('--duplicate-rate'))
    .option('--out-of-order-rate <share>', 'events moved earlier', share('--out-of-order-rate'))
    .option('--invalid-rate <share>', 'extra invalid records', share('--invalid-rate'))
    .option('--bus-envelope-rate <share>', 'records in the bus envelope', share('--bus-envelope-rate'))
    .option('--orphans <n>', 'events whose user or match never arrives', wholeNumber('--orphans'))
    .option('--dry-run', 'generate and count only; write and publish nothing')
    .option('--yes', 'publish to Kafka without asking')
    .option('--quiet', 'no progress bar')
    .action(wrap((ctx, o: GenerateOptions) => generateCommand(ctx, o)));
}

export async function generateCommand(ctx: CommandContext, o: GenerateOptions): Promise<number> {
  if (Boolean(o.out) === Boolean(o.toKafka)) {
    process.stderr.write('buddy-stream generate: give --out <file> or --to-kafka (one of them)\n');
    return REFUSED_EXIT;
  }
  const options: ProgrammeOptions = {
    seed: o.seed,
    participants: o.participants,
    buddies: o.buddies,
    weeks: o.weeks,
    companies: o.companies,
    start: o.start,
    targetEvents: o.targetEvents,
    duplicateRate: o.duplicateRate,
    outOfOrderRate: o.outOfOrderRate,
    invalidRate: o.invalidRate,
    busEnvelopeRate: o.busEnvelopeRate,
    orphans: o.orphans,
  };
  const resolved = resolveOptions(options);
  // Summary lines go to stderr when the records themselves go to stdout.
  const say = (line: string) => (o.out === '-' ? process.stderr : process.stdout).write(`${line}\n`);
  const where = o.toKafka
    ? `${ctx.config.TOPIC_PREFIX}buddy.* on ${ctx.config.KAFKA_BROKERS.join(',')}`
    : o.out!;
  if (o.toKafka && !o.dryRun) {
    const ok = await confirm({
      yes: o.yes,
      question: `publish a synthetic programme (seed ${resolved.seed}) to ${where}?`,
      command: 'buddy-stream generate --to-kafka',
    });
    if (!ok) return REFUSED_EXIT;
  }
  const producer =
    o.toKafka && !o.dryRun ? createUpstreamProducer(createKafka(ctx.config, ctx.logger)) : undefined;
  await producer?.connect();
  try {
    const sink: RecordSink | undefined = o.dryRun
      ? undefined
      : producer
        ? kafkaSink(producer, ctx.config.TOPIC_PREFIX)
        : ndjsonSink(o.out!);
    const stats = await emit(options, resolved, sink, o.quiet);
    await sink?.close();
    say(summary(stats, o.dryRun ? `dry run: nothing written (would go to ${where})` : `to ${where}`));
    return 0;
  } finally {
    await producer?.disconnect();
  }
}

async function emit(
  options: ProgrammeOptions,
  resolved: ResolvedOptions,
  sink: RecordSink | undefined,
  quiet?: boolean,
): Promise<SyntheticStats> {
  const progress = createProgress({ quiet });
  const { weeks, start } = resolved;
  progress.start('generating (weeks)', weeks);
  const programme = iterateProgramme(options);
  let lastDay = '';
  for (;;) {
    const next = programme.next();
    if (next.done) {
      progress.update(weeks);
      progress.stop();
      return next.value;
    }
    await sink?.write(next.value.record);
    const at = next.value.event?.timestamp;
    if (at && at.slice(0, 10) > lastDay) {
      lastDay = at.slice(0, 10);
      progress.update(Math.min(weeks, Math.floor((Date.parse(at) - Date.parse(start)) / 604_800_000)));
    }
  }
}

function summary(s: SyntheticStats, where: string): string {
  return (
    `generate: ${s.records} records ${where}: ${s.validEvents} events of ${s.participants} participants and ` +
    `${s.buddies} buddies in ${s.matches} matches (${s.endedMatches} ended), ${s.duplicates} re-sent, ` +
    `${s.movedEarlier} out of order, ${s.invalidRecords} invalid (seed ${s.options.seed})`
  );
}

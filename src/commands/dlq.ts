// `buddy-stream dlq list|show|replay`: read the dead-letter topic (DLQ_TOPIC), show why each record was
// dead-lettered (Kafka Connect's `__connect.errors.*` headers), and re-publish chosen records to their
// original topics after a fix. list and show print no record content (show --show-value does).
import type { Command } from 'commander';
import type { Kafka, Message, Producer } from 'kafkajs';
import { createUpstreamProducer, createKafka } from '../kafka/client.ts';
import { collect, type CommandContext, type Wrap } from '../ops-tools/command.ts';
import { confirm, REFUSED_EXIT, type ChangeOptions } from '../ops-tools/confirm.ts';
import { createProgress } from '../ops-tools/progress.ts';
import { describeDeadLetter, scanTopic, type DeadLetterRecord } from '../dlq/read.ts';
import { DLQ_HEADERS } from '../pipeline/dead-letter.ts';
import { parsePosition, replayMessage, selects, type Selection } from '../dlq/select.ts';

interface ListOptions {
  reason?: string[];
  json?: boolean;
  quiet?: boolean;
}
interface ReplayOptions extends ChangeOptions {
  offset?: string[];
  reason?: string[];
  all?: boolean;
}

export function registerDlq(program: Command, wrap: Wrap): void {
  const dlq = program.command('dlq').description('the dead-letter topic (DLQ_TOPIC): list, show, replay');
  dlq
    .command('list')
    .description('one line per dead letter: where it came from and why (no record content)')
    .option('--reason <code>', 'only this reason, e.g. schema_violation (repeatable)', collect)
    .option('--json', 'one JSON object per line')
    .option('--quiet', 'no progress bar')
    .action(wrap((ctx, o: ListOptions) => listCommand(ctx, o)));
  dlq
    .command('show')
    .description('every header of one dead letter; its key and value only with --show-value')
    .argument('<position>', 'partition:offset in the dead-letter topic (as `dlq list` prints it)')
    .option('--show-value', 'also print the key and the value (they may hold personal data)')
    .action(wrap((ctx, position: string, o: { showValue?: boolean }) => showCommand(ctx, position, o)));
  dlq
    .command('replay')
    .description('re-publish chosen dead letters to their original topics, marked as replayed')
    .option('--offset <partition:offset>', 'this dead letter (repeatable)', collect)
    .option('--reason <code>', 'every dead letter with this reason (repeatable)', collect)
    .option('--all', 'every dead letter')
    .option('--dry-run', 'list what would be re-published; publish nothing')
    .option('--yes', 're-publish without asking')
    .option('--quiet', 'no progress bar')
    .action(wrap((ctx, o: ReplayOptions) => replayCommand(ctx, o)));
}

const out = (line: string) => process.stdout.write(`${line}\n`);

function kafkaOf(ctx: CommandContext): Kafka {
  return createKafka(ctx.config, ctx.logger, '-dlq');
}

async function scan(
  ctx: CommandContext,
  quiet: boolean | undefined,
  onRecord: (r: DeadLetterRecord) => void | Promise<void>,
) {
  const progress = createProgress({ quiet });
  let started = false;
  try {
    return await scanTopic(kafkaOf(ctx), ctx.config.DLQ_TOPIC, onRecord, {
      onProgress: (read, total) => {
        if (!started) progress.start('reading dead letters', total);
        started = true;
        progress.update(read);
      },
    });
  } finally {
    progress.stop();
  }
}

function line(record: DeadLetterRecord): string {
  const d = describeDeadLetter(record);
  const from = d.topic ? `${d.topic}/${d.partition}@${d.offset}` : '(unknown source)';
  return `${record.partition}:${record.offset}  ${from}  ${d.reason}  ${d.stage ?? '-'}  ${d.failedAt ?? '-'}  ${d.message ?? ''}`;
}

async function listCommand(ctx: CommandContext, o: ListOptions): Promise<number> {
  const counts = new Map<string, number>();
  const filter: Selection = { reasons: o.reason, all: !o.reason };
  await scan(ctx, o.quiet, (record) => {
    if (!selects(filter, record)) return;
    const d = describeDeadLetter(record);
    counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1);
    if (o.json)
      out(
        JSON.stringify({
          position: `${record.partition}:${record.offset}`,
          ...d,
          valueBytes: record.value?.length ?? 0,
        }),
      );
    else out(line(record));
  });
  if (!o.json) {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const byReason = [...counts].sort().map(([reason, n]) => `${reason} ${n}`);
    out(
      `dlq: ${total} dead letters in ${ctx.config.DLQ_TOPIC}${byReason.length ? ` (${byReason.join(', ')})` : ''}`,
    );
  }
  return 0;
}

async function showCommand(
  ctx: CommandContext,
  position: string,
  o: { showValue?: boolean },
): Promise<number> {
  const { partition, offset } = parsePosition(position);
  let found: DeadLetterRecord | undefined;
  const kafka = kafkaOf(ctx);
  await scanTopic(
    kafka,
    ctx.config.DLQ_TOPIC,
    (r) => {
      if (r.offset === offset) found = r;
    },
    { partitions: [partition] },
  );
  if (!found) {
    process.stderr.write(`buddy-stream dlq show: no dead letter at ${position} in ${ctx.config.DLQ_TOPIC}\n`);
    return 1;
  }
  out(
    `dead letter ${position} of ${ctx.config.DLQ_TOPIC} (broker time ${new Date(Number(found.timestamp)).toISOString()})`,
  );
  for (const [name, value] of Object.entries(found.headers).sort()) out(`  ${name}: ${value}`);
  out(
    `  key: ${found.key ? `${found.key.length} bytes` : 'none'}, value: ${found.value ? `${found.value.length} bytes` : 'none'}`,
  );
  if (o.showValue) {
    out(`key: ${found.key?.toString('utf8') ?? ''}`);
    out(`value: ${found.value?.toString('utf8') ?? ''}`);
  } else out('  (--show-value prints the key and value; they may hold personal data)');
  return 0;
}

async function replayCommand(ctx: CommandContext, o: ReplayOptions): Promise<number> {
  const selection: Selection = {
    offsets: o.offset?.map((t) => {
      const p = parsePosition(t);
      return `${p.partition}:${p.offset}`;
    }),
    reasons: o.reason,
    all: o.all,
  };
  if (!o.all && !o.offset?.length && !o.reason?.length) {
    process.stderr.write('buddy-stream dlq replay: choose records with --offset, --reason or --all\n');
    return REFUSED_EXIT;
  }
  let chosen = 0;
  let noSource = 0;
  await scan(ctx, o.quiet, (record) => {
    if (!selects(selection, record)) return;
    if (!replayMessage(ctx.config.DLQ_TOPIC, record)) noSource++;
    else chosen++;
    if (o.dryRun) out(`would replay ${line(record)}`);
  });
  if (noSource > 0) out(`dlq: ${noSource} chosen dead letters name no original topic; they are skipped`);
  if (o.dryRun || chosen === 0) {
    out(
      `dlq replay: ${o.dryRun ? 'dry run: would re-publish' : 'nothing to re-publish:'} ${chosen} dead letters`,
    );
    return 0;
  }
  const ok = await confirm({
    yes: o.yes,
    question: `re-publish ${chosen} dead letters to their original topics?`,
    command: 'buddy-stream dlq replay ...',
  });
  if (!ok) return REFUSED_EXIT;
  const producer = createUpstreamProducer(kafkaOf(ctx));
  await producer.connect();
  try {
    const published = await republish(ctx, producer, selection, o.quiet);
    out(
      `dlq replay: re-published ${published} dead letters to their original topics (header ${DLQ_HEADERS.replayed})`,
    );
  } finally {
    await producer.disconnect();
  }
  return 0;
}

async function republish(
  ctx: CommandContext,
  producer: Producer,
  selection: Selection,
  quiet?: boolean,
): Promise<number> {
  let batch: { topic: string; message: Message }[] = [];
  let published = 0;
  const flush = async () => {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, message } of batch) byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    batch = [];
    if (byTopic.size === 0) return;
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  };
  await scan(ctx, quiet, async (record) => {
    const replay = selects(selection, record) ? replayMessage(ctx.config.DLQ_TOPIC, record) : null;
    if (!replay) return;
    batch.push(replay);
    published++;
    if (batch.length >= 500) await flush();
  });
  await flush();
  ctx.logger.info({ published }, 'dead letters re-published');
  return published;
}

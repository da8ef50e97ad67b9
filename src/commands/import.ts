// `buddy-stream import <dir>`: the Buddy Program's historical export files, validated, then published
// as events (metadata.source = "import") framed by buddy.import.batch start and complete.
import type { Command } from 'commander';
import { createUpstreamProducer, createKafka } from '../kafka/client.ts';
import { publishExport, validateExport, type ImportPlan } from '../import/run.ts';
import type { CommandContext, Wrap } from '../ops-tools/command.ts';
import { confirm, REFUSED_EXIT, type ChangeOptions } from '../ops-tools/confirm.ts';
import { createProgress } from '../ops-tools/progress.ts';
import type { BuddyRecord } from '../producer/record.ts';

interface ImportOptions extends ChangeOptions {
  company?: string;
  skipInvalid?: boolean;
}

export function registerImport(program: Command, wrap: Wrap): void {
  program
    .command('import')
    .description(
      'validate the Buddy export files in <dir> (users, matches, events, checkins, feedback, skill_sessions, milestones; CSV or JSON) and publish them as events',
    )
    .argument('<dir>', 'directory holding the export files')
    .option('--company <uuid>', 'tenant (metadata.companyId) of rows without a company_id column')
    .option(
      '--skip-invalid',
      'publish the valid rows of files that have bad rows (default: such files are not published)',
    )
    .option('--dry-run', 'validate and report only; publish nothing')
    .option('--yes', 'publish without asking')
    .option('--quiet', 'no progress bars')
    .action(wrap((ctx, dir: string, o: ImportOptions) => importCommand(ctx, dir, o)));
}

export async function importCommand(ctx: CommandContext, dir: string, o: ImportOptions): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const progress = createProgress({ quiet: o.quiet });
  const settings = {
    companyId: o.company,
    skipInvalid: o.skipInvalid,
    topicPrefix: ctx.config.TOPIC_PREFIX,
    progress,
    report: out,
  };
  const plan = await validateExport(dir, settings);
  printPlan(plan, out, o);
  const events = plan.files.filter((f) => f.publish).reduce((n, f) => n + f.events, 0);
  const failed = plan.invalidRows > 0 && !o.skipInvalid ? 1 : 0;
  if (o.dryRun) {
    out(`import: dry run: would publish ${events} events (batch ${plan.batchId}); nothing published`);
    return failed;
  }
  if (events === 0) {
    out('import: nothing to publish');
    return failed;
  }
  const ok = await confirm({
    yes: o.yes,
    question: `publish ${events} events to ${ctx.config.TOPIC_PREFIX}buddy.* on ${ctx.config.KAFKA_BROKERS.join(',')}?`,
    command: `buddy-stream import ${dir}`,
  });
  if (!ok) return REFUSED_EXIT;

  const producer = createUpstreamProducer(createKafka(ctx.config, ctx.logger));
  await producer.connect();
  try {
    const send = async (records: BuddyRecord[]) => {
      if (records.length === 0) return;
      const byTopic = new Map<string, BuddyRecord[]>();
      for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, list]) => ({
          topic,
          messages: list.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
        })),
      });
    };
    const published = await publishExport(plan, settings, send);
    ctx.logger.info({ batchId: plan.batchId, events: published }, 'import published');
    out(
      `import: published ${published} events in batch ${plan.batchId} (re-importing the same files is a no-op)`,
    );
  } finally {
    await producer.disconnect();
  }
  return failed;
}

function printPlan(plan: ImportPlan, out: (line: string) => void, o: ImportOptions): void {
  for (const name of plan.ignored) out(`import: ignored ${name} (not an export file name)`);
  for (const f of plan.files) {
    const verdict =
      f.invalidRows === 0
        ? 'ok'
        : f.publish
          ? `${f.invalidRows} bad rows skipped (--skip-invalid)`
          : `${f.invalidRows} bad rows: file not published (--skip-invalid publishes its valid rows)`;
    out(`import: ${f.file.name}: ${f.rows} rows, ${f.events} events: ${verdict}`);
  }
  if (plan.invalidRows > 0 && !o.skipInvalid)
    out(`import: ${plan.invalidRows} bad rows in all (reported above by file:line: field: reason)`);
}

// `buddy-stream replay [--user <id>]`: rebuild the projections from the raw event store. The processor
// must be stopped: replay refuses while the consumer group has members (--force skips the check).
import type { Command } from 'commander';
import pg from 'pg';
import { createKafka } from '../kafka/client.ts';
import { wholeNumber, type CommandContext, type Wrap } from '../ops-tools/command.ts';
import { confirm, REFUSED_EXIT, type ChangeOptions } from '../ops-tools/confirm.ts';
import { createProgress } from '../ops-tools/progress.ts';
import { findSubject } from '../ops-tools/subject.ts';
import { DEFAULT_CHUNK_SIZE, replayAll, replayUser, type ReplayResult } from '../replay/replay.ts';
import { postgresConnection } from '../store/pg-connection.ts';

interface ReplayOptions extends ChangeOptions {
  user?: string;
  force?: boolean;
  chunkSize?: number;
}

export function registerReplay(program: Command, wrap: Wrap): void {
  program
    .command('replay')
    .description(
      'rebuild the Buddy projections from buddy_system_events (all, or one user); the processor must be stopped',
    )
    .option('--user <id>', 'only this person: a CSR user id, a Buddy user id or an email')
    .option(
      '--chunk-size <n>',
      `events per transaction (default ${DEFAULT_CHUNK_SIZE})`,
      wholeNumber('--chunk-size'),
    )
    .option('--force', 'run even though the consumer group has members (the processor is running)')
    .option('--dry-run', 'report what would be reset and re-applied; change nothing')
    .option('--yes', 'replay without asking')
    .option('--quiet', 'no progress bar')
    .action(wrap((ctx, o: ReplayOptions) => replayCommand(ctx, o)));
}

export async function replayCommand(ctx: CommandContext, o: ReplayOptions): Promise<number> {
  const { config, logger } = ctx;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  if (!o.force && !o.dryRun) {
    const members = await groupMembers(ctx);
    if (members > 0) {
      process.stderr.write(
        `buddy-stream replay: the processor is running (consumer group ${config.KAFKA_GROUP_ID} has ${members} members): stop it first, or --force\n`,
      );
      return 1;
    }
  }
  const pool = new pg.Pool({ ...postgresConnection(config), max: 3 });
  try {
    const subject = o.user ? await findSubject(pool, o.user) : undefined;
    if (o.user && !subject) {
      process.stderr.write('buddy-stream replay: no user matches --user\n');
      return 1;
    }
    const scope = subject ? `user ${subject.userId}` : 'everyone';
    if (!o.dryRun) {
      const ok = await confirm({
        yes: o.yes,
        question: `reset and rebuild the Buddy projections of ${scope} from the raw event store?`,
        command: `buddy-stream replay${o.user ? ' --user <id>' : ''}`,
      });
      if (!ok) return REFUSED_EXIT;
    }
    const deps = {
      pool,
      log: logger.child({ component: 'replay' }),
      groupId: config.KAFKA_GROUP_ID,
      feedbackWindowMs: config.FEEDBACK_WINDOW,
      progress: createProgress({ quiet: o.quiet }),
      chunkSize: o.chunkSize,
      dryRun: o.dryRun,
    };
    const result = subject ? await replayUser(deps, subject) : await replayAll(deps);
    printResult(result, scope, o.dryRun ?? false, out);
    return 0;
  } finally {
    await pool.end();
  }
}

async function groupMembers(ctx: CommandContext): Promise<number> {
  const admin = createKafka(ctx.config, ctx.logger, '-replay').admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([ctx.config.KAFKA_GROUP_ID]);
    return groups[0]?.members.length ?? 0;
  } finally {
    await admin.disconnect();
  }
}

function printResult(r: ReplayResult, scope: string, dryRun: boolean, out: (line: string) => void): void {
  const reset = Object.entries(r.reset)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  if (dryRun && scope === 'everyone') {
    out(`replay: dry run: would reset (${reset}) and re-apply ${r.events} stored events; nothing changed`);
    return;
  }
  const verb = dryRun ? 'dry run (rolled back): would re-apply' : 're-applied';
  out(`replay: ${scope}: reset ${reset}`);
  const stillParked = Math.max(0, r.events - r.stats.applied);
  out(
    `replay: ${verb} ${r.events} events: ${r.stats.applied} applied (${r.stats.unparked} after waiting for ` +
      `their reference), ${stillParked} still waiting; nothing republished`,
  );
  for (const [type, n] of Object.entries(r.stats.appliedByType).sort()) out(`  ${type.padEnd(30)} ${n}`);
  if (r.stats.refused.length > 0)
    out(`replay: ${r.stats.refused.length} stored events were refused by Postgres and left as they are`);
}

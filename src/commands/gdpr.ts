// `buddy-stream gdpr export|erase <user>`: a data subject access request (JSON on stdout), and the right
// to be forgotten. <user> is a CSR user id, a Buddy user id or an email.
import type { Command } from 'commander';
import pg from 'pg';
import { eraseSubject } from '../gdpr/erase.ts';
import { exportSubject } from '../gdpr/export.ts';
import type { CommandContext, Wrap } from '../ops-tools/command.ts';
import { confirm, REFUSED_EXIT, type ChangeOptions } from '../ops-tools/confirm.ts';
import { findSubject, type Subject } from '../ops-tools/subject.ts';
import { postgresConnection } from '../store/pg-connection.ts';

export function registerGdpr(program: Command, wrap: Wrap): void {
  const gdpr = program
    .command('gdpr')
    .description('data subject requests: export (DSAR) and erase (right to be forgotten)');
  gdpr
    .command('export')
    .description('everything about one person, as JSON on stdout')
    .argument('<user>', 'a CSR user id, a Buddy user id or an email')
    .action(wrap((ctx, who: string) => exportCommand(ctx, who)));
  gdpr
    .command('erase')
    .description(
      'erase one person: delete the user, redact the texts of their matches, scrub their raw events',
    )
    .argument('<user>', 'a CSR user id, a Buddy user id or an email')
    .option('--dry-run', 'report what would be erased (the erasure runs and is rolled back)')
    .option('--yes', 'erase without asking')
    .option('--quiet', 'accepted for symmetry (erasure is one short transaction)')
    .action(wrap((ctx, who: string, o: ChangeOptions) => eraseCommand(ctx, who, o)));
}

async function withSubject(
  ctx: CommandContext,
  who: string,
  work: (pool: pg.Pool, subject: Subject) => Promise<number>,
): Promise<number> {
  const pool = new pg.Pool({ ...postgresConnection(ctx.config), max: 2 });
  try {
    const subject = await findSubject(pool, who);
    if (!subject) {
      process.stderr.write('buddy-stream gdpr: no user matches that id or email\n');
      return 1;
    }
    return await work(pool, subject);
  } finally {
    await pool.end();
  }
}

async function exportCommand(ctx: CommandContext, who: string): Promise<number> {
  return withSubject(ctx, who, async (pool, subject) => {
    const document = await exportSubject(pool, subject);
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return 0;
  });
}

async function eraseCommand(ctx: CommandContext, who: string, o: ChangeOptions): Promise<number> {
  return withSubject(ctx, who, async (pool, subject) => {
    const name = subject.userId ? `user ${subject.userId}` : `Buddy user ${subject.buddyIds.join(', ')}`;
    if (!o.dryRun) {
      const ok = await confirm({
        yes: o.yes,
        question: `erase ${name} (cannot be undone)?`,
        command: 'buddy-stream gdpr erase <user>',
      });
      if (!ok) return REFUSED_EXIT;
    }
    const result = await eraseSubject(pool, subject, {
      dryRun: o.dryRun,
      log: ctx.logger.child({ component: 'gdpr' }),
    });
    const counts = Object.entries(result.counts)
      .map(([what, n]) => `${what} ${n}`)
      .join(', ');
    const verb = o.dryRun
      ? 'dry run (rolled back): would erase'
      : result.alreadyErased
        ? 'erased again'
        : 'erased';
    process.stdout.write(
      `gdpr: ${verb} ${name}${result.tombstoneId ? ` (tombstone ${result.tombstoneId})` : ''}: ${counts}\n`,
    );
    return 0;
  });
}

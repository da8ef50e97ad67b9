// The one entry point: subcommands parse their flags here and return an exit code; bin/buddy-stream exits.
import { Command, CommanderError } from 'commander';
import { ConfigError, SETTINGS, loadConfig, redactUrl, type Config } from './config.ts';
import { createLogger, type Logger } from './ops/logger.ts';
import { createKafka } from './kafka/client.ts';
import { allTopics, assertOutputsOutsidePattern, createTopics, outputTopics } from './kafka/topics.ts';
import { ensureDatabase, migrate } from './store/migrate.ts';
import { postgresSsl } from './store/pg-connection.ts';
import { runCommand } from './commands/run.ts';
import { demoCommand } from './commands/demo.ts';
import { q2qScoreCommand } from './commands/q2q-score.ts';
import { collectCompanyId, metricsRecomputeCommand } from './commands/metrics-recompute.ts';
import { schemasRegisterCommand } from './commands/schemas.ts';
import { registerOperatorCommands } from './commands/operator.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2, config: 78 } as const;

interface Context {
  config: Config;
  logger: Logger;
}

function envHelp(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]) => `  ${name.padEnd(34)} default: ${s.default}`);
  return `\nEnvironment:\n${rows.join('\n')}\n\nExamples:\n  buddy-stream migrate\n  buddy-stream topics create --partitions 12\n  KAFKA_BROKERS=kafka:9092 buddy-stream run\n`;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('buddy-stream')
    .description(
      'Ingests Buddy Program events from Kafka into the CSR platform Postgres, exactly once in effect.',
    )
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', envHelp());

  // Each action loads the config lazily, so `--help` works with a broken environment.
  const wrap =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<number>) =>
    async (...args: A) => {
      const config = loadConfig();
      const logger = createLogger({ level: config.LOG_LEVEL });
      try {
        exitCode = await action({ config, logger }, ...args);
      } finally {
        logger.flush();
      }
    };

  program
    .command('run')
    .description('consume the buddy.* topics into Postgres until SIGTERM/SIGINT')
    .option('--until-caught-up', 'stop once every partition is applied up to its high watermark')
    .option('--summary', 'print what was processed when the run ends')
    .action(
      wrap((ctx, options: { untilCaughtUp?: boolean; summary?: boolean }) =>
        runCommand(ctx.config, ctx.logger, options),
      ),
    );

  program
    .command('demo')
    .description('the main job end to end: migrate, create topics, publish a synthetic programme, process it')
    .option('--seed <n>', 'seed of the synthetic programme', Number, 1)
    .option('--participants <n>', 'participants in the programme', Number, 240)
    .option('--buddies <n>', 'buddies in the programme', Number, 160)
    .option('--weeks <n>', 'weeks the programme runs', Number, 8)
    .option('--invalid-rate <share>', 'share of extra invalid records', Number, 0.005)
    .action(
      wrap(
        (
          ctx,
          o: { seed: number; participants: number; buddies: number; weeks: number; invalidRate: number },
        ) =>
          demoCommand(ctx.config, ctx.logger, {
            seed: o.seed,
            participants: o.participants,
            buddies: o.buddies,
            weeks: o.weeks,
            invalidRate: o.invalidRate,
          }),
      ),
    );

  program
    .command('migrate')
    .description(
      'create the database if missing and apply pending migrations (safe to run from several replicas)',
    )
    .option('--dry-run', 'print the SQL that would run, apply nothing')
    .action(wrap(migrateCommand));

  program
    .command('topics')
    .description('manage Kafka topics')
    .command('create')
    .description('create every topic buddy-stream reads and writes (idempotent)')
    .option('--partitions <n>', 'partitions per new topic (default TOPIC_PARTITIONS)', Number)
    .option('--replication-factor <n>', 'replication factor (default TOPIC_REPLICATION_FACTOR)', Number)
    .action(wrap(topicsCreateCommand));

  program
    .command('schemas')
    .description('manage the schema registry subjects (SCHEMA_REGISTRY_URL)')
    .command('register')
    .description(
      'register schemas/*.schema.json as <topic>-value for the buddy.* and output topics (BACKWARD; fails on a breaking change)',
    )
    .option(
      '--schemas-dir <dir>',
      'where the *.schema.json files are (default: the schemas/ of this install)',
    )
    .action(
      wrap((ctx, o: { schemasDir?: string }) =>
        schemasRegisterCommand(ctx.config, ctx.logger, { schemasDir: o.schemasDir }),
      ),
    );

  program
    .command('q2q')
    .description('Q2Q outcome scoring')
    .command('score')
    .description(
      'score Q2Q_TEXT_TOPIC with the baseline keyword rules (a baseline, not a model) into Q2Q_SCORES_TOPIC',
    )
    .option('--until-caught-up', 'stop once every text published so far is scored')
    .action(wrap((ctx, o: { untilCaughtUp?: boolean }) => q2qScoreCommand(ctx.config, ctx.logger, o)));

  program
    .command('metrics')
    .description('company metrics')
    .command('recompute')
    .description('recompute metrics_company_period (per company and month) from the tables')
    .option('--company <uuid>', 'only this company (repeatable; default: every company)', collectCompanyId)
    .action(
      wrap((ctx, o: { company?: string[] }) =>
        metricsRecomputeCommand(ctx.config, ctx.logger, { companies: o.company }),
      ),
    );

  // Operator tools: import, replay, dlq, gdpr, generate (src/commands/operator.ts).
  registerOperatorCommands(program, wrap);

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed help or the usage error.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    return EXIT.config;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`buddy-stream: ${message}\n`);
  return EXIT.failure;
}

async function migrateCommand(ctx: Context, options: { dryRun?: boolean }): Promise<number> {
  const { config, logger } = ctx;
  const ssl = postgresSsl(config);
  const created = options.dryRun ? false : await ensureDatabase(config.DATABASE_URL, ssl);
  const ran = await migrate({ databaseUrl: config.DATABASE_URL, dryRun: options.dryRun ?? false, ssl });
  logger.info({ database: redactUrl(config.DATABASE_URL), created, migrations: ran }, 'migrate done');
  const verb = options.dryRun ? 'would apply' : 'applied';
  process.stdout.write(
    ran.length === 0
      ? 'migrate: database is up to date\n'
      : `migrate: ${verb} ${ran.length}: ${ran.join(', ')}\n`,
  );
  return EXIT.ok;
}

async function topicsCreateCommand(
  ctx: Context,
  options: { partitions?: number; replicationFactor?: number },
): Promise<number> {
  const { config, logger } = ctx;
  const plan = {
    partitions: options.partitions ?? config.TOPIC_PARTITIONS,
    replicationFactor: options.replicationFactor ?? config.TOPIC_REPLICATION_FACTOR,
  };
  assertOutputsOutsidePattern(config.TOPIC_PATTERN, outputTopics(config));
  const admin = createKafka(config, logger).admin();
  await admin.connect();
  try {
    const all = allTopics(config);
    const created = await createTopics(admin, plan, all);
    process.stdout.write(
      `topics: ${created.length} created, ${all.length - created.length} already existed\n`,
    );
    return EXIT.ok;
  } finally {
    await admin.disconnect();
  }
}

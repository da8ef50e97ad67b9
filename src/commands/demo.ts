// `buddy-stream demo`: the main job end to end on the local stack: migrate, create the topics, publish a
// synthetic Buddy programme, process it until caught up, and print what happened.
import pg from 'pg';
import type { Config } from '../config.ts';
import { createUpstreamProducer, createKafka } from '../kafka/client.ts';
import { allTopics, createTopics } from '../kafka/topics.ts';
import type { Logger } from '../ops/logger.ts';
import { ensureDatabase, migrate } from '../store/migrate.ts';
import type { ProgrammeOptions, SyntheticStats } from '../synthetic/generate.ts';
import { publishProgramme } from '../synthetic/output.ts';
import { runCommand } from './run.ts';
import { q2qScoreCommand } from './q2q-score.ts';
import { metricsRecomputeCommand } from './metrics-recompute.ts';

/** The tables a reader of the demo wants to see filled. */
const SUMMARY_TABLES = [
  'users',
  'user_external_ids',
  'external_id_mappings',
  'program_enrollments',
  'buddy_matches',
  'buddy_events',
  'buddy_checkins',
  'buddy_feedback',
  'kintell_sessions',
  'journey_milestones',
  'buddy_system_events',
  'parked_events',
  'outcome_scores',
  'evidence_snippets',
  'metrics_company_period',
];

export async function demoCommand(
  settings: Config,
  logger: Logger,
  options: ProgrammeOptions,
): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // Each demo run reads the topics as a new consumer group: a database kept from an earlier run
  // (whose stored offsets belong to topics since recreated) then shows its events as duplicates
  // dropped instead of skipping them as already applied.
  const config: Config = { ...settings, KAFKA_GROUP_ID: `${settings.KAFKA_GROUP_ID}-demo-${Date.now()}` };
  await ensureDatabase(config.DATABASE_URL);
  const ran = await migrate({ databaseUrl: config.DATABASE_URL });
  out(`demo: database ready (${ran.length} migrations applied)`);

  const kafka = createKafka(config, logger);
  const admin = kafka.admin();
  await admin.connect();
  const created = await createTopics(
    admin,
    { partitions: config.TOPIC_PARTITIONS, replicationFactor: config.TOPIC_REPLICATION_FACTOR },
    allTopics(config),
  );
  await admin.disconnect();
  out(`demo: topics ready (${created.length} created)`);

  const stats = await publishSynthetic(kafka, config.TOPIC_PREFIX, options);
  out(
    `demo: published ${stats.records} records: ${stats.validEvents} events of ${stats.participants} participants and ` +
      `${stats.buddies} buddies in ${stats.matches} matches, ${stats.duplicates} re-sent, ${stats.movedEarlier} out of order, ` +
      `${stats.invalidRecords} invalid`,
  );

  out('demo: processing until caught up ...');
  const code = await runCommand(config, logger, { untilCaughtUp: true, summary: true });
  // The texts the processor published: scored by the baseline rules, then ingested by a second short
  // pass of the processor (it waits until the score ingestion caught up too), then company metrics.
  out('demo: scoring the texts with the baseline Q2Q rules (a baseline, not a model) ...');
  const scored = await q2qScoreCommand(config, logger, { untilCaughtUp: true });
  out('demo: ingesting the scores ...');
  const ingested = await runCommand(config, logger, { untilCaughtUp: true });
  const metrics = await metricsRecomputeCommand(config, logger);
  await printRowCounts(config.DATABASE_URL, out);
  return code || scored || ingested || metrics;
}

async function publishSynthetic(
  kafka: ReturnType<typeof createKafka>,
  prefix: string,
  options: ProgrammeOptions,
): Promise<SyntheticStats> {
  const producer = createUpstreamProducer(kafka);
  await producer.connect();
  try {
    return await publishProgramme(producer, prefix, options);
  } finally {
    await producer.disconnect();
  }
}

async function printRowCounts(databaseUrl: string, out: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    out('rows per table:');
    for (const table of SUMMARY_TABLES) {
      // Table names come from the constant list above, never from input.
      const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      out(`  ${table.padEnd(30)} ${rows[0]!.n}`);
    }
  } finally {
    await client.end();
  }
}

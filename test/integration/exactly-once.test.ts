// The core guarantee, asserted against a reference model computed from the produced events: whatever
// the duplicates, the arrival order, the crashes and the group changes, every table ends the same.
import { afterEach, describe, expect, it } from 'vitest';
import { generateProgramme, type SyntheticProgramme } from '../../src/synthetic/generate.ts';
import { rdkafkaAvailable } from '../../src/kafka/rdkafka-consumer.ts';
import { computeExpected } from '../support/model.ts';
import { snapshotDatabase } from '../support/snapshot.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';
import { startCli } from '../support/cli.ts';

const programme: SyntheticProgramme = generateProgramme({
  seed: 7,
  targetEvents: 10_000,
  duplicateRate: 0.1,
});
const expected = computeExpected(programme.events);

const rdkafkaLoads = rdkafkaAvailable();

const streams: TestStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) await s.close();
});

async function stream(label: string) {
  const s = await createTestStream(label, { partitions: 3 });
  streams.push(s);
  return s;
}

async function publish(s: TestStream, records: SyntheticProgramme['records']) {
  for (let i = 0; i < records.length; i += 2_000) {
    await s.publish(
      records.slice(i, i + 2_000).map((r) => ({ topic: s.topic(r.topic), key: r.key, value: r.value })),
    );
  }
}

async function expectModel(s: TestStream) {
  const snapshot = await snapshotDatabase(s.pool);
  // Each valid event id exactly once in the raw store, none left parked.
  expect(Object.keys(snapshot.buddy_system_events).length).toBe(programme.events.length);
  expect(differences(snapshot, expected)).toEqual([]);
  expect(snapshot).toEqual(expected);
}

/**
 * Rows that differ, as readable lines (the full objects are too large to diff): for each table, how many
 * rows differ and the first few, so that a table listed late is never hidden behind an early one.
 */
function differences(actual: object, wanted: object): string[] {
  const lines: string[] = [];
  for (const [table, rows] of Object.entries(wanted) as [string, Record<string, unknown>][]) {
    const got = (actual as Record<string, Record<string, unknown>>)[table] ?? {};
    const differing: string[] = [];
    for (const key of new Set([...Object.keys(rows), ...Object.keys(got)])) {
      const a = JSON.stringify(got[key]);
      const b = JSON.stringify(rows[key]);
      if (a !== b) differing.push(`${table}[${key}]: got ${a ?? 'nothing'}, want ${b ?? 'nothing'}`);
    }
    if (differing.length > 0)
      lines.push(`${table}: ${differing.length} rows differ`, ...differing.slice(0, 5));
  }
  return lines;
}

describe('exactly once in effect, against the model', () => {
  it('10,000 mixed events with 10% re-sent duplicates (half in the other envelope)', async () => {
    expect(programme.events.length).toBeGreaterThan(9_000);
    expect(programme.stats.duplicates).toBeGreaterThan(800);
    expect(programme.stats.duplicatesInOtherEnvelope).toBeGreaterThan(300);
    const s = await stream('dupes');
    await publish(s, programme.records);
    const { processor } = await s.startProcessor();
    await processor.waitUntilCaughtUp();
    await expectModel(s);
    // Every re-send was dropped (the test's producer may write a record twice when it retries a send,
    // and those copies are dropped too).
    expect(processor.totals.duplicates + processor.totals.duplicatesInBatch).toBeGreaterThanOrEqual(
      programme.stats.duplicates,
    );
  });

  it.skipIf(!rdkafkaLoads)(
    'the same events through the librdkafka transport (KAFKA_CLIENT=rdkafka)',
    async () => {
      const s = await stream('rdkafka');
      await publish(s, programme.records);
      const { processor } = await s.startProcessor({ KAFKA_CLIENT: 'rdkafka' });
      await processor.waitUntilCaughtUp();
      await expectModel(s);
      expect(processor.totals.duplicates + processor.totals.duplicatesInBatch).toBeGreaterThanOrEqual(
        programme.stats.duplicates,
      );
    },
  );

  it('the same events with every child published before its parents, read as they come: parked, then the same final state', async () => {
    const s = await stream('reversed');
    await publish(s, [...programme.records].reverse());
    // Without backlog order, and in small batches, children read before their parents are parked and
    // applied later.
    const { processor } = await s.startProcessor({ BACKLOG_ORDER: 'false', BATCH_MAX_EVENTS: '200' });
    await processor.waitUntilCaughtUp();
    await expectModel(s);
    expect(processor.totals.parked).toBeGreaterThan(1_000);
  });

  it('the same reversed backlog read in backlog order: parents first, almost nothing parked, the same final state', async () => {
    const s = await stream('backlog');
    await publish(s, [...programme.records].reverse());
    const { processor } = await s.startProcessor();
    await processor.waitUntilCaughtUp();
    await expectModel(s);
    // Users, then matches and profile updates, then the rest: a child parks only when its parent
    // arrived after the backlog was read (none here, the whole programme is published before).
    expect(processor.totals.parked).toBeLessThan(programme.events.length / 100);
  });

  it('SIGKILLed mid-run and restarted several times: the same final state, nothing applied twice', async () => {
    const s = await stream('sigkill');
    await publish(s, programme.records);
    const env = { ...s.env, KAFKA_SESSION_TIMEOUT: '6s', BATCH_MAX_EVENTS: '200', LOG_LEVEL: 'info' };
    // Progress as the share of published records consumed (the stored offsets): killed at 15%, 40% and
    // 70%, mid-run whatever the machine's speed.
    const consumed = async () =>
      (
        await s.pool.query<{ n: number }>(
          'SELECT coalesce(sum(next_offset), 0)::int AS n FROM stream_offsets WHERE group_id = $1',
          [s.config.KAFKA_GROUP_ID],
        )
      ).rows[0]!.n;
    for (const share of [0.15, 0.4, 0.7]) {
      const child = startCli(['run'], env);
      while ((await consumed()) < share * programme.records.length)
        await new Promise((r) => setTimeout(r, 10));
      child.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit.signal).toBe('SIGKILL');
    }
    expect(await consumed()).toBeLessThan(programme.records.length);
    const last = startCli(['run', '--until-caught-up'], env);
    const exit = await last.exited;
    expect(exit.code).toBe(0);
    await expectModel(s);
  });

  it('two consumers in the group, one leaving mid-run: the same final state', async () => {
    const s = await stream('twoconsumers');
    const env = { KAFKA_SESSION_TIMEOUT: '6s', BATCH_MAX_EVENTS: '100' };
    const first = await s.startProcessor(env);
    const second = await s.startProcessor(env);
    await publish(s, programme.records);
    // Leave once both have applied something.
    for (
      let i = 0;
      i < 300 && (first.processor.totals.records === 0 || second.processor.totals.records === 0);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(first.processor.totals.records).toBeGreaterThan(0);
    expect(second.processor.totals.records).toBeGreaterThan(0);
    await second.processor.stop();
    await first.processor.waitUntilCaughtUp();
    await expectModel(s);
  });
});

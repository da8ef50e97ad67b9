// The outbox relay's cursor (migration 0112) against the real Postgres and broker: a record is published
// once its transaction and every older one have ended, whatever order they commit in; nothing is skipped,
// nothing is published twice by relays draining side by side; published records leave after the retention.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createIdempotentProducer } from '../../src/kafka/client.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createOutboxRelay, pruneSentOutbox, RECORD_ID_HEADER } from '../../src/q2q/outbox-relay.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const streams: TestStream[] = [];
const clients: pg.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end().catch(() => undefined);
  for (const s of streams.splice(0)) await s.close();
});

const log = createLogger({ level: 'silent' });
const ENQUEUE = `INSERT INTO outbox (id, topic, message_key, payload) VALUES ($1, 'q2q.text.requested', 'k', $2)`;

async function setup(label: string) {
  const s = await createTestStream(label, { partitions: 1 });
  streams.push(s);
  const producer = createIdempotentProducer(s.kafka);
  await producer.connect();
  const relay = () =>
    createOutboxRelay({ pool: s.pool, producer, topicFor: () => s.config.Q2Q_TEXT_TOPIC, log });
  const open = async () => {
    const c = new pg.Client({ connectionString: s.db.url });
    await c.connect();
    clients.push(c);
    return c;
  };
  const unsent = async () =>
    (await s.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox_unsent')).rows[0]!.n;
  return { s, producer, relay, open, unsent };
}

/**
 * Drains until `expected` records are published or 15 s pass; returns how many were. The relay publishes
 * only transactions older than every running one in the cluster, and test files running beside this one
 * hold transactions open too: a single drain right after a commit may find nothing yet.
 */
async function drainUntil(relays: { drain(): Promise<number> }[], expected: number): Promise<number> {
  let published = 0;
  for (const deadline = Date.now() + 15_000; published < expected && Date.now() < deadline;) {
    for (const r of relays) published += await r.drain();
    if (published < expected) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return published;
}

describe('outbox relay cursor', () => {
  it('waits for an older transaction still open, then publishes both, each once', async () => {
    const { s, producer, relay, open, unsent } = await setup('relayorder');
    const older = await open();
    const newer = await open();
    const [a, b] = [randomUUID(), randomUUID()];
    // The older transaction writes first (its transaction id is the smaller) but commits last.
    await older.query('BEGIN');
    await older.query(ENQUEUE, [a, JSON.stringify({ n: 'older' })]);
    await newer.query('BEGIN');
    await newer.query(ENQUEUE, [b, JSON.stringify({ n: 'newer' })]);
    await newer.query('COMMIT');

    const r = relay();
    // The newer record is committed, but behind a transaction still running: not yet.
    expect(await r.drain()).toBe(0);
    expect(await unsent()).toBe(1);
    await older.query('COMMIT');
    expect(await drainUntil([r], 2)).toBe(2);
    expect(await r.drain()).toBe(0);
    expect(await unsent()).toBe(0);

    const records = await s.readTopic(s.config.Q2Q_TEXT_TOPIC, 2, 10_000);
    expect(records.map((m) => m.headers[RECORD_ID_HEADER])).toEqual([a, b]);
    await producer.disconnect();
  });

  it('two relays draining side by side publish every record exactly once', async () => {
    const { s, producer, relay, unsent } = await setup('relaytwo');
    const ids: string[] = [];
    const one = relay();
    const two = relay();
    let published = 0;
    // Five rounds of 300 records in separate transactions, both relays draining as they come.
    for (let round = 0; round < 5; round++) {
      const tx = await s.pool.connect();
      await tx.query('BEGIN');
      for (let i = 0; i < 300; i++) {
        const id = randomUUID();
        ids.push(id);
        await tx.query(ENQUEUE, [id, JSON.stringify({ round, i })]);
      }
      await tx.query('COMMIT');
      tx.release();
      const [x, y] = await Promise.all([one.drain(), two.drain()]);
      published += x + y;
    }
    published += await drainUntil([one, two], ids.length - published);
    expect(published).toBe(ids.length);
    expect(await unsent()).toBe(0);
    const records = await s.readTopic(s.config.Q2Q_TEXT_TOPIC, ids.length, 20_000);
    const seen = records.map((m) => m.headers[RECORD_ID_HEADER]);
    expect(seen).toHaveLength(ids.length);
    expect(new Set(seen)).toEqual(new Set(ids));
    await producer.disconnect();
  });

  it('prunes published records past the retention, never an unsent one', async () => {
    const { s, producer, relay } = await setup('relayprune');
    const [old1, old2, recent, unsentOld] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    for (const id of [old1, old2, recent]) await s.pool.query(ENQUEUE, [id, JSON.stringify({ id })]);
    expect(await drainUntil([relay()], 3)).toBe(3);
    await s.pool.query(ENQUEUE, [unsentOld, JSON.stringify({ id: unsentOld })]);
    await s.pool.query(
      "UPDATE outbox SET created_at = now() - interval '2 days' WHERE id = ANY($1::uuid[])",
      [[old1, old2, unsentOld]],
    );
    const day = 86_400_000;
    // One row per statement: the loop goes on until a statement deletes fewer than it may.
    expect(await pruneSentOutbox(s.pool, day, { batchRows: 1 })).toBe(2);
    expect(await pruneSentOutbox(s.pool, day)).toBe(0);
    const left = await s.pool.query<{ id: string }>('SELECT id::text AS id FROM outbox ORDER BY seq');
    expect(left.rows.map((r) => r.id)).toEqual([recent, unsentOld]);
    // The unsent one is still published, and then pruned too.
    expect(await drainUntil([relay()], 1)).toBe(1);
    expect(await pruneSentOutbox(s.pool, day)).toBe(1);
    await producer.disconnect();
  });
});

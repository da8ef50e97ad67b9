// The outbox relay: publishes committed outbox rows with the idempotent producer and moves the relay
// cursor past them once the broker acknowledged them (migration 0112). Rows are read in (tx, seq) order
// from the cursor on, only those written by transactions older than every running one, so a row never
// appears behind the cursor. One relay publishes at a time: it holds the cursor row's lock, and the
// relays of other replicas skip a round. A crash between the acknowledgement and the cursor update
// publishes those rows again (at least once: consumers dedupe by the record id, which is also the
// `buddy-stream.record-id` header).
import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { Logger } from '../ops/logger.ts';

const Q = {
  lockCursor: 'SELECT tx::text AS tx, seq::text AS seq FROM outbox_cursor FOR UPDATE SKIP LOCKED',
  // Ordered by the columns (o.), not the text aliases of the output.
  claim: `SELECT o.id::text AS id, o.topic, o.message_key, o.payload::text AS payload, o.created_at,
      o.tx::text AS tx, o.seq::text AS seq
    FROM outbox o
    WHERE (o.tx, o.seq) > ($1::xid8, $2::bigint) AND o.tx < pg_snapshot_xmin(pg_current_snapshot())
    ORDER BY o.tx, o.seq LIMIT $3`,
  moveCursor: 'UPDATE outbox_cursor SET tx = $1::xid8, seq = $2::bigint, moved_at = now()',
} as const;

export const RECORD_ID_HEADER = 'buddy-stream.record-id';

// Sent rows (at or behind the cursor) older than the retention, oldest first, a bounded number per
// statement. The advisory lock keeps the replicas from deleting the same rows side by side: one prunes.
const PRUNE = `WITH c AS (SELECT tx, seq FROM outbox_cursor WHERE pg_try_advisory_xact_lock(hashtext('buddy-stream.outbox-prune'))),
  doomed AS (
    SELECT o.id FROM outbox o, c
    WHERE (o.tx, o.seq) <= (c.tx, c.seq) AND o.created_at < now() - make_interval(secs => $1::float8 / 1000)
    ORDER BY o.tx, o.seq LIMIT $2)
  DELETE FROM outbox o USING doomed WHERE o.id = doomed.id`;

/**
 * Deletes outbox records the relay published longer than `retentionMs` ago (by the row's created_at), up
 * to `maxRows` in statements of `batchRows`; returns how many. Unsent records are never deleted, however
 * old. Without it the outbox grows by every Q2Q text and journey change forever, and so do its indexes.
 */
export async function pruneSentOutbox(
  pool: pg.Pool,
  retentionMs: number,
  { batchRows = 5_000, maxRows = 100_000 } = {},
): Promise<number> {
  let deleted = 0;
  while (deleted < maxRows) {
    const n = (await pool.query(PRUNE, [retentionMs, Math.min(batchRows, maxRows - deleted)])).rowCount ?? 0;
    deleted += n;
    if (n < batchRows) break;
  }
  return deleted;
}

export interface OutboxRelay {
  /** Publishes what is pending now; resolves with how many records it published. */
  drain(): Promise<number>;
  /** Asks for a drain soon (after a batch committed); never throws; does nothing once stopped. */
  wake(): void;
  start(pollMs?: number): void;
  /** Stops polling and publishes what is pending (call before the producer and pool close). */
  stop(): Promise<void>;
}

export interface OutboxRelayDeps {
  pool: pg.Pool;
  producer: Producer;
  /** The configured topic of a logical outbox topic (q2q.text.requested, journey.*). */
  topicFor(logical: string): string;
  log: Logger;
  /** After each committed round: the records' configured topics and how long each waited in the outbox. */
  onPublished?(records: { topic: string; waitedMs: number }[]): void;
  batchSize?: number;
}

export function createOutboxRelay({
  pool,
  producer,
  topicFor,
  log,
  onPublished,
  batchSize = 2_000,
}: OutboxRelayDeps): OutboxRelay {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again = false;
  let stopped = false;

  async function publishOnce(): Promise<number> {
    const tx = await pool.connect();
    try {
      await tx.query('BEGIN');
      const cursor = (await tx.query<{ tx: string; seq: string }>(Q.lockCursor)).rows[0];
      let ackedAt = 0;
      // Another replica's relay is publishing: it drains what is committed.
      const rows = cursor
        ? (
            await tx.query<{
              id: string;
              topic: string;
              message_key: string | null;
              payload: string;
              created_at: Date;
              tx: string;
              seq: string;
            }>(Q.claim, [cursor.tx, cursor.seq, batchSize])
          ).rows
        : [];
      if (rows.length > 0) {
        const byTopic = new Map<
          string,
          { key: string | null; value: string; headers: Record<string, string> }[]
        >();
        for (const row of rows) {
          const topic = topicFor(row.topic);
          const list = byTopic.get(topic) ?? [];
          list.push({ key: row.message_key, value: row.payload, headers: { [RECORD_ID_HEADER]: row.id } });
          byTopic.set(topic, list);
        }
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        ackedAt = Date.now();
        const last = rows[rows.length - 1]!;
        await tx.query(Q.moveCursor, [last.tx, last.seq]);
      }
      await tx.query('COMMIT');
      if (rows.length > 0)
        onPublished?.(
          rows.map((row) => ({ topic: topicFor(row.topic), waitedMs: ackedAt - row.created_at.getTime() })),
        );
      return rows.length;
    } catch (error) {
      await tx
        .query('ROLLBACK')
        .catch((rollbackError: Error) =>
          log.warn({ err: rollbackError.message }, 'outbox rollback failed; the connection is dropped'),
        );
      throw error;
    } finally {
      tx.release();
    }
  }

  async function drainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await publishOnce();
      total += n;
      if (n < batchSize) return total;
    }
  }

  const relay: OutboxRelay = {
    drain() {
      if (running) {
        again = true;
        return running;
      }
      running = drainAll().finally(() => {
        running = undefined;
        if (again) {
          again = false;
          relay.wake();
        }
      });
      return running;
    },
    wake() {
      if (stopped) return;
      relay
        .drain()
        .catch((error: Error) => log.warn({ err: error.message }, 'outbox relay failed; it retries'));
    },
    start(pollMs = 1_000) {
      timer = setInterval(() => relay.wake(), pollMs);
      timer.unref();
      relay.wake();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await running?.catch(() => 0);
      // A clean stop leaves no backlog for the next start.
      await drainAll().catch((error: Error) =>
        log.warn({ err: error.message }, 'outbox not drained at stop'),
      );
    },
  };
  return relay;
}

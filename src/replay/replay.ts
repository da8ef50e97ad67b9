// Replay (event sourcing): rebuild the Buddy projections from buddy_system_events, for everyone or for
// one person, through the pipeline's own apply code (applyStoredEvents), in event-time order, in chunks.
// It publishes nothing: the outbox rows a replay would enqueue are dropped in its own transactions.
import type pg from 'pg';
import { parseEnvelope, type BuddyEvent } from '../contracts/index.ts';
import type { Logger } from '../ops/logger.ts';
import type { Progress } from '../ops-tools/progress.ts';
import { EVENTS_OF, matchesOf, type Subject } from '../ops-tools/subject.ts';
import { applyStoredEvents, emptyStats, type ApplyStats } from '../pipeline/apply.ts';
import { mergeStats } from '../pipeline/commit.ts';
import { REFERENCE_LOCK_SPACE } from '../pipeline/references.ts';
import { DROP_NEW_OUTBOX_ROWS, resetAll, resetUser, type ResetCounts } from './reset.ts';

/**
 * Events per transaction when not given: as many as the processor's default batch (BATCH_MAX_EVENTS);
 * the per-transaction statements are the same, so smaller chunks replay slower (2,000: 0.8x).
 */
export const DEFAULT_CHUNK_SIZE = 5_000;

/** Second key of the session advisory lock that keeps two replays apart. */
const REPLAY_LOCK_KEY = 3;

export interface ReplayDeps {
  pool: pg.Pool;
  log: Logger;
  /** The processor's consumer group: its stream clock times the journey rules. */
  groupId: string;
  feedbackWindowMs: number;
  progress: Progress;
  chunkSize?: number;
  dryRun?: boolean;
}

export interface ReplayResult {
  events: number;
  reset: ResetCounts;
  stats: ApplyStats;
}

function parseStored(row: { event_id: string; payload: string }): BuddyEvent {
  const parsed = parseEnvelope(JSON.parse(row.payload));
  if (!parsed.ok) throw new Error(`stored event ${row.event_id} no longer parses: ${parsed.reason}`);
  return parsed.event;
}

async function inTransaction<T>(
  pool: pg.Pool,
  work: (tx: pg.PoolClient) => Promise<T>,
  commit = true,
): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query(commit ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}

async function applyChunk(tx: pg.PoolClient, events: BuddyEvent[], deps: ReplayDeps): Promise<ApplyStats> {
  const stats = await applyStoredEvents(tx, events, deps.log, {
    groupId: deps.groupId,
    feedbackWindowMs: deps.feedbackWindowMs,
    publish: false,
  });
  // publish: false enqueues nothing; this guard keeps a replay silent should any code path enqueue.
  await tx.query(DROP_NEW_OUTBOX_ROWS);
  return stats;
}

/**
 * Everyone: the reset commits first, then each chunk of events is its own transaction (one transaction
 * for all would hold an advisory lock per user and match, past Postgres' lock table). A replay that
 * stops midway leaves the projections partly rebuilt: run it again.
 */
export async function replayAll(deps: ReplayDeps): Promise<ReplayResult> {
  const chunkSize = deps.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const session = await deps.pool.connect();
  try {
    const { locked } = (
      await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::int, $2::int) AS locked', [
        REFERENCE_LOCK_SPACE,
        REPLAY_LOCK_KEY,
      ])
    ).rows[0]!;
    if (!locked) throw new Error('another replay is running on this database');
    const total = (await session.query<{ n: number }>('SELECT count(*)::int AS n FROM buddy_system_events'))
      .rows[0]!.n;
    const reset = await inTransaction(deps.pool, resetAll, !deps.dryRun);
    const result: ReplayResult = { events: total, reset, stats: emptyStats() };
    if (deps.dryRun) return result;
    deps.log.info({ events: total, reset }, 'replay: projections reset');

    await session.query(`DECLARE replay_events NO SCROLL CURSOR WITH HOLD FOR
      SELECT event_id::text AS event_id, payload::text AS payload FROM buddy_system_events ORDER BY "timestamp", event_id`);
    deps.progress.start('replaying (events)', total);
    // The next chunk is read and parsed on the session's connection while this one is applied on another:
    // Postgres reads the raw store while Node prepares the rows, and the other way round.
    const readChunk = async (): Promise<BuddyEvent[]> => {
      const { rows } = await session.query<{ event_id: string; payload: string }>(
        `FETCH ${Number(chunkSize)} FROM replay_events`,
      );
      return rows.map(parseStored);
    };
    try {
      let next = readChunk();
      for (;;) {
        const events = await next;
        if (events.length === 0) break;
        next = readChunk();
        // A failed read surfaces at the await above; if the apply fails first, the read is dropped with it.
        next.catch(() => undefined);
        mergeStats(result.stats, await inTransaction(deps.pool, (tx) => applyChunk(tx, events, deps)));
        deps.progress.increment(events.length);
      }
    } finally {
      deps.progress.stop();
      await session.query('CLOSE replay_events').catch(() => undefined);
    }
    return result;
  } finally {
    await session
      .query('SELECT pg_advisory_unlock($1::int, $2::int)', [REFERENCE_LOCK_SPACE, REPLAY_LOCK_KEY])
      .catch(() => undefined);
    session.release();
  }
}

/** One person, in one transaction: their matches and what hangs off them, their derived state. */
export async function replayUser(deps: ReplayDeps, subject: Subject): Promise<ReplayResult> {
  if (!subject.userId) throw new Error('that person has no CSR user (nothing is projected for them)');
  const userId = subject.userId;
  return inTransaction(
    deps.pool,
    async (tx) => {
      const matches = await matchesOf(tx, subject);
      const reset = await resetUser(tx, userId, matches);
      const { rows } = await tx.query<{ event_id: string; payload: string }>(EVENTS_OF, [
        subject.buddyIds,
        matches,
      ]);
      const result: ReplayResult = { events: rows.length, reset, stats: emptyStats() };
      deps.progress.start('replaying (events)', rows.length);
      const chunkSize = deps.chunkSize ?? DEFAULT_CHUNK_SIZE;
      for (let i = 0; i < rows.length; i += chunkSize) {
        const events = rows.slice(i, i + chunkSize).map(parseStored);
        mergeStats(result.stats, await applyChunk(tx, events, deps));
        deps.progress.increment(events.length);
      }
      deps.progress.stop();
      return result;
    },
    !deps.dryRun,
  );
}

// One batch of one partition, applied whole or not at all: raw events, projections, parked events and
// the partition's next offset in ONE Postgres transaction; dead letters are acknowledged before it commits.
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../ops/logger.ts';
import { classifyPgError, describePgRejection } from '../store/pg-errors.ts';
import { SQL } from '../store/statements.ts';
import { applyEvents, emptyStats, type ApplyStats } from './apply.ts';
import type { DeadLetter } from './dead-letter.ts';
import { deadLetterRefused } from './park-timeout.ts';
import { decodeRecord, dedupeWithinBatch, type DecodedRecord, type SourceRecord } from './decode.ts';
import type { FrameResolution, FrameResolver } from './frame.ts';

export interface DeadLetterSink {
  /** Resolves once the broker acknowledged every letter. */
  publish(letters: DeadLetter[]): Promise<void>;
}

export interface BatchContext {
  pool: pg.Pool;
  groupId: string;
  /** TOPIC_PREFIX: input topics are `<prefix><event type>`. */
  topicPrefix: string;
  /** FEEDBACK_WINDOW: after a match ends, how long feedback may come before it is pending. */
  feedbackWindowMs: number;
  deadLetters: DeadLetterSink;
  log: Logger;
  /** Called between steps of a long batch (the consumer heartbeat). */
  heartbeat?: () => Promise<void>;
  /** Decodes Confluent-framed values through the schema registry; absent when SCHEMA_REGISTRY_URL is unset. */
  frames?: FrameResolver;
  /** Told how long each batch transaction took, BEGIN to COMMIT or ROLLBACK (the metrics). */
  observeTransaction?: (seconds: number, outcome: 'commit' | 'rollback') => void;
}

/** One partition's place in a batch: where it ends, as stored after the transaction. */
export interface PartitionOutcome {
  topic: string;
  partition: number;
  /** The offset after its records, as stored; null when they were applied before (skipped whole). */
  nextOffset: string | null;
}

export interface BatchResult {
  partitions: PartitionOutcome[];
  records: number;
  alreadyApplied: number;
  deadLettered: DeadLetter[];
  duplicatesInBatch: number;
  stats: ApplyStats;
}

const MAX_ATTEMPTS = 8;

type Frames = ReadonlyMap<SourceRecord, FrameResolution>;

/**
 * A batch: the records of one or more topic-partitions, each segment one partition's records in offset
 * order. All of it is applied in ONE transaction with every partition's stored offset, so that parents
 * (users, matches) and their children read from different topics at once land together.
 */
export type Segments = readonly (readonly SourceRecord[])[];

/** Applies a batch whole. Retries what Postgres says may succeed later; isolates what it refuses. */
export async function processBatch(ctx: BatchContext, segments: Segments): Promise<BatchResult> {
  const all = segments.flat();
  const keys = new Set(all.map((r) => `${r.position.topic}\u0000${r.position.partition}`));
  if (keys.size !== segments.length || segments.some((s) => s.length === 0))
    throw new Error('processBatch needs one non-empty segment per topic-partition');
  // Framed values go through the registry first, outside the transaction: it may have to wait for the
  // registry a while, and a transaction (with the partitions' offset rows locked) should not.
  const frames: Frames = (await ctx.frames?.resolve(all, { heartbeat: ctx.heartbeat })) ?? new Map();
  return applyWithRetries(ctx, segments, frames);
}

async function applyWithRetries(ctx: BatchContext, segments: Segments, frames: Frames) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOnce(ctx, segments, frames);
    } catch (error) {
      const kind = classifyPgError(error);
      const records = segments.reduce((n, s) => n + s.length, 0);
      if (kind === 'reject' && segments.length > 1) {
        // Some record's data is refused: apply partition by partition, then record by record in the
        // partition that holds it, so only that record is dead-lettered.
        ctx.log.warn(
          { partitions: segments.length, records, reason: describePgRejection(error) },
          'batch refused; applying partition by partition',
        );
        return await each(ctx, segments, frames);
      }
      if (kind === 'reject' && records > 1) {
        ctx.log.warn({ records, reason: describePgRejection(error) }, 'batch refused; applying one by one');
        return await each(
          ctx,
          segments[0]!.map((r) => [r]),
          frames,
        );
      }
      if (kind === 'reject') return await applyOnce(ctx, segments, frames, describePgRejection(error));
      if (kind !== 'retry' || attempt >= MAX_ATTEMPTS) throw error;
      const delay = Math.min(200 * 2 ** (attempt - 1), 10_000);
      ctx.log.warn(
        { attempt, delayMs: delay, code: (error as { code?: string }).code },
        'batch failed; retrying',
      );
      await sleep(delay);
    }
  }
}

/** Applies the parts one after the other (each its own transaction); one result, as for the whole. */
async function each(ctx: BatchContext, parts: Segments, frames: Frames): Promise<BatchResult> {
  const total: BatchResult = {
    partitions: [],
    records: 0,
    alreadyApplied: 0,
    deadLettered: [],
    duplicatesInBatch: 0,
    stats: emptyStats(),
  };
  const outcomes = new Map<string, PartitionOutcome>();
  for (const part of parts) {
    const one = await applyWithRetries(ctx, [part], frames);
    for (const p of one.partitions) {
      const key = `${p.topic}\u0000${p.partition}`;
      outcomes.set(key, { ...p, nextOffset: p.nextOffset ?? outcomes.get(key)?.nextOffset ?? null });
    }
    total.records += one.records;
    total.alreadyApplied += one.alreadyApplied;
    total.deadLettered.push(...one.deadLettered);
    total.duplicatesInBatch += one.duplicatesInBatch;
    mergeStats(total.stats, one.stats);
  }
  total.partitions = [...outcomes.values()];
  return total;
}

interface Place {
  topic: string;
  partition: number;
  records: readonly SourceRecord[];
  /** The offset after the segment. */
  next: bigint;
  stored: bigint;
}

/**
 * @param refusal when set, the single record is dead-lettered with this reason instead of applied
 * (Postgres refused its data).
 */
async function applyOnce(
  ctx: BatchContext,
  segments: Segments,
  frames: Frames,
  refusal?: string,
): Promise<BatchResult> {
  // Offset rows are locked in one order (topic, partition) by every transaction: no deadlock between two
  // processors whose assignments overlap during a rebalance.
  const places: Place[] = segments
    .map((records) => ({
      topic: records[0]!.position.topic,
      partition: records[0]!.position.partition,
      records,
      next: BigInt(records[records.length - 1]!.position.offset) + 1n,
      stored: 0n,
    }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const tx = await ctx.pool.connect();
  let released = false;
  const began = performance.now();
  const observe = (outcome: 'commit' | 'rollback') =>
    ctx.observeTransaction?.((performance.now() - began) / 1000, outcome);
  try {
    await tx.query('BEGIN');
    const locked = await tx.query<{ topic: string; partition: number; next_offset: string }>(
      SQL.lockOffsets,
      [ctx.groupId, places.map((p) => p.topic), places.map((p) => p.partition)],
    );
    const storedBy = new Map(
      locked.rows.map((r) => [`${r.topic}\u0000${r.partition}`, BigInt(r.next_offset)]),
    );
    for (const place of places) place.stored = storedBy.get(`${place.topic}\u0000${place.partition}`) ?? 0n;
    const result: BatchResult = {
      partitions: places.map((p) => ({ topic: p.topic, partition: p.partition, nextOffset: null })),
      records: places.reduce((n, p) => n + p.records.length, 0),
      alreadyApplied: 0,
      deadLettered: [],
      duplicatesInBatch: 0,
      stats: emptyStats(),
    };
    // The stored offset is the truth: records below it were applied by this or an earlier owner.
    const moving = places.filter((p) => p.stored < p.next);
    const fresh = moving.flatMap((p) => p.records.filter((r) => BigInt(r.position.offset) >= p.stored));
    result.alreadyApplied = result.records - fresh.length;
    places.forEach((p, i) => {
      // A partition stored at or beyond this segment's end was applied before: Kafka may catch up to it.
      if (p.stored >= p.next) result.partitions[i]!.nextOffset = p.stored.toString();
      else result.partitions[i]!.nextOffset = p.next.toString();
    });
    if (fresh.length === 0) {
      await tx.query('ROLLBACK');
      observe('rollback');
      places.forEach((p, i) => {
        if (p.stored < p.next) result.partitions[i]!.nextOffset = null;
      });
      return result;
    }

    const valid: DecodedRecord[] = [];
    for (const record of fresh) {
      const decoded = decodeRecord(record, ctx.topicPrefix, frames.get(record));
      if (decoded.ok && refusal === undefined) valid.push(decoded);
      else if (decoded.ok)
        result.deadLettered.push(letter(record, 'rejected_by_database', 'resolve', refusal!));
      else result.deadLettered.push(letter(record, decoded.code, decoded.stage, decoded.reason));
    }
    const { unique, duplicates } = dedupeWithinBatch(valid);
    result.duplicatesInBatch = duplicates;

    await ctx.deadLetters.publish(result.deadLettered);
    await ctx.heartbeat?.();
    const items = unique.map((d) => ({
      event: d.event,
      payloadText: d.payloadText,
      position: d.source.position,
    }));
    result.stats = await applyEvents(tx, items, ctx.log, {
      groupId: ctx.groupId,
      feedbackWindowMs: ctx.feedbackWindowMs,
    });
    await deadLetterRefused(tx, ctx.deadLetters, result.stats.refused);
    const latest = new Map<string, string | null>();
    for (const item of items) {
      const key = `${item.position.topic}\u0000${item.position.partition}`;
      const at = latest.get(key) ?? null;
      if (at === null || item.event.timestamp > at) latest.set(key, item.event.timestamp);
    }
    const moved = await tx.query(SQL.storeOffsets, [
      ctx.groupId,
      moving.map((p) => p.topic),
      moving.map((p) => p.partition),
      moving.map((p) => p.next.toString()),
      moving.map((p) => p.stored.toString()),
      moving.map((p) => latest.get(`${p.topic}\u0000${p.partition}`) ?? null),
    ]);
    if (moved.rowCount !== moving.length)
      throw new Error(`stored offsets of ${moving.length} partitions moved under a lock`);
    await tx.query('COMMIT');
    observe('commit');
    return result;
  } catch (error) {
    observe('rollback');
    await tx.query('ROLLBACK').catch(() => {
      // The connection is gone; release(true) below discards it.
      released = true;
      tx.release(true);
    });
    throw error;
  } finally {
    if (!released) tx.release();
  }
}

function letter(
  record: SourceRecord,
  code: DeadLetter['code'],
  stage: DeadLetter['stage'],
  reason: string,
): DeadLetter {
  return { position: record.position, key: record.key, value: record.value, code, stage, reason };
}

export function mergeStats(into: ApplyStats, from: ApplyStats): void {
  into.applied += from.applied;
  into.parked += from.parked;
  into.duplicates += from.duplicates;
  into.unparked += from.unparked;
  into.outboxRecords += from.outboxRecords;
  into.journeyChanges += from.journeyChanges;
  into.refused.push(...from.refused);
  for (const [type, n] of Object.entries(from.appliedByType)) {
    into.appliedByType[type as keyof ApplyStats['appliedByType']] =
      (into.appliedByType[type as keyof ApplyStats['appliedByType']] ?? 0) + n;
  }
  for (const [table, n] of Object.entries(from.rowsByTable))
    into.rowsByTable[table] = (into.rowsByTable[table] ?? 0) + n;
}

// One batch of one partition, applied whole or not at all: raw events, projections, parked events and
// the partition's next offset in ONE Postgres transaction; dead letters are acknowledged before it commits.
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../ops/logger.ts';
import { classifyPgError, describePgRejection } from '../store/pg-errors.ts';
import { SQL } from '../store/statements.ts';
import { applyEvents, emptyStats, latestEventTime, type ApplyStats } from './apply.ts';
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

export interface BatchResult {
  /** The offset after the batch, as stored; null when the batch was applied before (skipped whole). */
  nextOffset: string | null;
  records: number;
  alreadyApplied: number;
  deadLettered: DeadLetter[];
  duplicatesInBatch: number;
  stats: ApplyStats;
}

const MAX_ATTEMPTS = 8;

type Frames = ReadonlyMap<SourceRecord, FrameResolution>;

/** Applies records of ONE topic-partition, in offset order. Retries what Postgres says may succeed later. */
export async function processBatch(ctx: BatchContext, records: SourceRecord[]): Promise<BatchResult> {
  // Framed values go through the registry first, outside the transaction: it may have to wait for the
  // registry a while, and a transaction (with the partition's offset row locked) should not.
  const frames: Frames = (await ctx.frames?.resolve(records, { heartbeat: ctx.heartbeat })) ?? new Map();
  return applyWithRetries(ctx, records, frames);
}

async function applyWithRetries(ctx: BatchContext, records: SourceRecord[], frames: Frames) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOnce(ctx, records, frames);
    } catch (error) {
      const kind = classifyPgError(error);
      if (kind === 'reject' && records.length > 1) {
        // One record's data is refused: apply record by record so only that one is dead-lettered.
        ctx.log.warn(
          { records: records.length, reason: describePgRejection(error) },
          'batch refused; applying one by one',
        );
        return await oneByOne(ctx, records, frames);
      }
      if (kind === 'reject') return await applyOnce(ctx, records, frames, describePgRejection(error));
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

async function oneByOne(ctx: BatchContext, records: SourceRecord[], frames: Frames): Promise<BatchResult> {
  const total: BatchResult = {
    nextOffset: null,
    records: records.length,
    alreadyApplied: 0,
    deadLettered: [],
    duplicatesInBatch: 0,
    stats: emptyStats(),
  };
  for (const record of records) {
    const one = await applyWithRetries(ctx, [record], frames);
    total.nextOffset = one.nextOffset ?? total.nextOffset;
    total.alreadyApplied += one.alreadyApplied;
    total.deadLettered.push(...one.deadLettered);
    total.duplicatesInBatch += one.duplicatesInBatch;
    mergeStats(total.stats, one.stats);
  }
  return total;
}

/**
 * @param refusal when set, the single record is dead-lettered with this reason instead of applied
 * (Postgres refused its data).
 */
async function applyOnce(
  ctx: BatchContext,
  records: SourceRecord[],
  frames: Frames,
  refusal?: string,
): Promise<BatchResult> {
  const first = records[0];
  if (!first) throw new Error('processBatch needs at least one record');
  const { topic, partition } = first.position;
  const last = records[records.length - 1]!;
  const nextOffset = (BigInt(last.position.offset) + 1n).toString();
  const tx = await ctx.pool.connect();
  let released = false;
  const began = performance.now();
  const observe = (outcome: 'commit' | 'rollback') =>
    ctx.observeTransaction?.((performance.now() - began) / 1000, outcome);
  try {
    await tx.query('BEGIN');
    await tx.query(SQL.ensureOffset, [ctx.groupId, topic, partition]);
    const stored = (await tx.query<{ next_offset: string }>(SQL.lockOffset, [ctx.groupId, topic, partition]))
      .rows[0]!.next_offset;
    // The stored offset is the truth: records below it were applied by this or an earlier owner.
    const fresh = records.filter((r) => BigInt(r.position.offset) >= BigInt(stored));
    const result: BatchResult = {
      nextOffset,
      records: records.length,
      alreadyApplied: records.length - fresh.length,
      deadLettered: [],
      duplicatesInBatch: 0,
      stats: emptyStats(),
    };
    if (fresh.length === 0) {
      await tx.query('ROLLBACK');
      observe('rollback');
      return { ...result, nextOffset: BigInt(stored) >= BigInt(nextOffset) ? stored : null };
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
    const moved = await tx.query(SQL.storeOffset, [
      ctx.groupId,
      topic,
      partition,
      nextOffset,
      stored,
      latestEventTime(items),
    ]);
    if (moved.rowCount !== 1) throw new Error(`stored offset of ${topic}/${partition} moved under a lock`);
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

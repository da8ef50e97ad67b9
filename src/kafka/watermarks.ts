// Where the topics' partitions end (their watermarks) and how far a consumer group is behind them: the
// high watermark minus the next offset stored in Postgres (the truth about progress, see
// pipeline/commit.ts), or minus the low watermark where nothing is stored yet.
import type { Admin } from 'kafkajs';
import type pg from 'pg';
import { SQL } from '../store/statements.ts';

export interface Watermark {
  topic: string;
  partition: number;
  low: bigint;
  high: bigint;
}

/** Stored next offsets by `partitionKey`. */
export type StoredOffsets = ReadonlyMap<string, bigint>;

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export type StoredOffsetRow = { topic: string; partition: number; next_offset: string };

/** The stored offsets rows (SQL.readOffsets) by partition. */
export function storedOffsets(rows: readonly StoredOffsetRow[]): StoredOffsets {
  return new Map(rows.map((r) => [partitionKey(r.topic, r.partition), BigInt(r.next_offset)]));
}

/** The next offsets the group stored in Postgres (stream_offsets), by partition. */
export async function readStoredOffsets(
  db: pg.Pool | pg.PoolClient,
  groupId: string,
): Promise<StoredOffsets> {
  return storedOffsets((await db.query<StoredOffsetRow>(SQL.readOffsets, [groupId])).rows);
}

/**
 * Every partition's watermarks. kafkajs' admin asks topic by topic: two ListOffsets requests and at times
 * a metadata request for each, so callers that poll keep the topics few or the polls rare.
 */
export async function readWatermarks(admin: Admin, topics: readonly string[]): Promise<Watermark[]> {
  const all: Watermark[] = [];
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic))
      all.push({ topic, partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) });
  }
  return all;
}

/** Records of the partition not yet applied: never negative (a stored offset past the end counts 0). */
export function lagOf(w: Watermark, stored: StoredOffsets): number {
  const at = stored.get(partitionKey(w.topic, w.partition)) ?? w.low;
  return w.high > at ? Number(w.high - at) : 0;
}

/** Whether some partition has records not yet applied. */
export function behind(watermarks: readonly Watermark[], stored: StoredOffsets): boolean {
  return watermarks.some((w) => lagOf(w, stored) > 0);
}

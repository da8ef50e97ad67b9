// One batch of one q2q.outcome.scored partition in ONE Postgres transaction: the scores, their snippets
// and the partition's next offset (stream_offsets). Dead letters are acknowledged before it commits.
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from '../ops/logger.ts';
import type { DeadLetterSink } from '../pipeline/commit.ts';
import type { DeadLetter } from '../pipeline/dead-letter.ts';
import type { SourceRecord } from '../pipeline/decode.ts';
import { classifyPgError, describePgRejection } from '../store/pg-errors.ts';
import { SQL } from '../store/statements.ts';
import { decodeScoreRecord, scoreRows, type EvidenceSnippetRow, type OutcomeScoreRow } from './score-rows.ts';

/** Known ids and known snippet hashes are skipped (ON CONFLICT DO NOTHING), so redelivery is harmless. */
export const SCORE_SQL = {
  insertScores: `INSERT INTO outcome_scores (id, text_id, text_type, dimension, score, confidence,
      model_version, method, provider_used, language, topics)
    SELECT id, text_id, text_type, dimension, score, confidence, model_version,
      method::outcome_score_method, provider_used, language::outcome_score_language, topics
    FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, text_id uuid, text_type text, dimension text,
      score numeric, confidence numeric, model_version text, method text, provider_used text,
      language text, topics jsonb)
    ON CONFLICT (id) DO NOTHING`,
  insertSnippets: `INSERT INTO evidence_snippets (id, outcome_score_id, snippet_text, snippet_hash, source_ref)
    SELECT id, outcome_score_id, snippet_text, snippet_hash, source_ref
    FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, outcome_score_id uuid, snippet_text text,
      snippet_hash text, source_ref text)
    ON CONFLICT DO NOTHING`,
} as const;

export interface ScoreBatchContext {
  pool: pg.Pool;
  groupId: string;
  deadLetters: DeadLetterSink;
  log: Logger;
}

export interface ScoreBatchResult {
  /** The offset after the batch, as stored; null when the batch had been applied before. */
  nextOffset: string | null;
  results: number;
  scoresInserted: number;
  snippetsInserted: number;
  deadLettered: DeadLetter[];
}

const MAX_ATTEMPTS = 8;

/** Applies records of ONE topic-partition, in offset order; retries what Postgres says may succeed later. */
export async function ingestScoreBatch(
  ctx: ScoreBatchContext,
  records: SourceRecord[],
): Promise<ScoreBatchResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyOnce(ctx, records);
    } catch (error) {
      const kind = classifyPgError(error);
      if (kind === 'reject' && records.length > 1) {
        ctx.log.warn({ records: records.length }, 'score batch refused; applying one by one');
        const total: ScoreBatchResult = emptyResult(null);
        for (const record of records) {
          const one = await ingestScoreBatch(ctx, [record]);
          total.nextOffset = one.nextOffset ?? total.nextOffset;
          total.results += one.results;
          total.scoresInserted += one.scoresInserted;
          total.snippetsInserted += one.snippetsInserted;
          total.deadLettered.push(...one.deadLettered);
        }
        return total;
      }
      if (kind === 'reject') return await applyOnce(ctx, records, describePgRejection(error));
      if (kind !== 'retry' || attempt >= MAX_ATTEMPTS) throw error;
      const delay = Math.min(200 * 2 ** (attempt - 1), 10_000);
      ctx.log.warn({ attempt, delayMs: delay }, 'score batch failed; retrying');
      await sleep(delay);
    }
  }
}

function emptyResult(nextOffset: string | null): ScoreBatchResult {
  return { nextOffset, results: 0, scoresInserted: 0, snippetsInserted: 0, deadLettered: [] };
}

/** @param refusal when set, the single record is dead-lettered with this reason (Postgres refused it). */
async function applyOnce(
  ctx: ScoreBatchContext,
  records: SourceRecord[],
  refusal?: string,
): Promise<ScoreBatchResult> {
  const { topic, partition } = records[0]!.position;
  const nextOffset = (BigInt(records[records.length - 1]!.position.offset) + 1n).toString();
  const tx = await ctx.pool.connect();
  let broken = false;
  try {
    await tx.query('BEGIN');
    const { rows } = await tx.query<{ next_offset: string }>(SQL.lockOffsets, [
      ctx.groupId,
      [topic],
      [partition],
    ]);
    const stored = rows[0]!.next_offset;
    const fresh = records.filter((r) => BigInt(r.position.offset) >= BigInt(stored));
    if (fresh.length === 0) {
      await tx.query('ROLLBACK');
      return emptyResult(BigInt(stored) >= BigInt(nextOffset) ? stored : null);
    }
    const result = emptyResult(nextOffset);
    const scores: OutcomeScoreRow[] = [];
    const snippets: EvidenceSnippetRow[] = [];
    for (const record of fresh) {
      const decoded = decodeScoreRecord(record);
      if (!decoded.ok) result.deadLettered.push(letter(record, decoded.code, decoded.stage, decoded.reason));
      else if (refusal !== undefined)
        result.deadLettered.push(letter(record, 'rejected_by_database', 'resolve', refusal));
      else {
        const rows = scoreRows(decoded.result);
        scores.push(...rows.scores);
        snippets.push(...rows.snippets);
        result.results++;
      }
    }
    await ctx.deadLetters.publish(result.deadLettered);
    if (scores.length > 0) {
      result.scoresInserted =
        (await tx.query(SCORE_SQL.insertScores, [JSON.stringify(scores)])).rowCount ?? 0;
    }
    if (snippets.length > 0) {
      const inserted = await tx.query(SCORE_SQL.insertSnippets, [JSON.stringify(snippets)]);
      result.snippetsInserted = inserted.rowCount ?? 0;
    }
    // No event time: scores do not move the journey clock (stream_offsets.event_time_high).
    const offset = [ctx.groupId, [topic], [partition], [nextOffset], [stored], [null]];
    const moved = await tx.query(SQL.storeOffsets, offset);
    if (moved.rowCount !== 1) throw new Error(`stored offset of ${topic}/${partition} moved under a lock`);
    await tx.query('COMMIT');
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    tx.release(broken);
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

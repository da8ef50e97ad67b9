// q2q.outcome.scored record -> outcome_scores and evidence_snippets rows, or the reason it is
// dead-lettered. Pure: no I/O.
import { createHash } from 'node:crypto';
import { describeIssues, MAX_EVENT_BYTES } from '../contracts/index.ts';
import { nameBasedUuid } from '../pipeline/ids.ts';
import type { RejectCode, RejectStage, SourceRecord } from '../pipeline/decode.ts';
import { outcomeScoredSchema, storableText, type OutcomeScored } from './contract.ts';

/** Namespaces of the derived ids below. Fixed forever: changing one would re-key stored rows. */
export const OUTCOME_SCORE_NAMESPACE = '0f6e2d84-93b1-4c57-a1d8-5b7c3e9f2a16';
export const EVIDENCE_SNIPPET_NAMESPACE = 'c2a7f5d1-6b38-4e09-9d4a-8e1f0b3c5d72';

export interface OutcomeScoreRow {
  id: string;
  text_id: string;
  text_type: string;
  dimension: string;
  score: number;
  confidence: number | null;
  model_version: string | null;
  method: string;
  provider_used: string | null;
  language: string;
  topics: string[];
}

export interface EvidenceSnippetRow {
  id: string;
  outcome_score_id: string;
  snippet_text: string;
  snippet_hash: string;
  source_ref: string | null;
}

export type DecodedScore =
  { ok: true; result: OutcomeScored } | { ok: false; code: RejectCode; stage: RejectStage; reason: string };

export function decodeScoreRecord(record: Pick<SourceRecord, 'value'>): DecodedScore {
  const { value } = record;
  if (value === null || value.length === 0)
    return { ok: false, code: 'empty', stage: 'decode', reason: 'record has no value' };
  if (value.length > MAX_EVENT_BYTES) {
    const reason = `record is ${value.length} bytes, over the ${MAX_EVENT_BYTES} limit`;
    return { ok: false, code: 'too_large', stage: 'decode', reason };
  }
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return { ok: false, code: 'not_json', stage: 'decode', reason: 'value is not valid JSON' };
  }
  const parsed = outcomeScoredSchema.safeParse(json);
  if (!parsed.success) {
    const reason = `q2q.outcome.scored: ${describeIssues(parsed.error.issues, json)}`;
    return { ok: false, code: 'schema_violation', stage: 'validate', reason };
  }
  if (!storableText(parsed.data)) {
    const reason = 'q2q.outcome.scored: a string contains \\u0000 or an unpaired surrogate';
    return { ok: false, code: 'schema_violation', stage: 'validate', reason };
  }
  return { ok: true, result: parsed.data };
}

/**
 * The row id of one score: the same (text, text type, dimension, model version, method) always gives
 * the same id, so a redelivered result inserts nothing and a new model version adds rows.
 */
export function outcomeScoreId(
  result: Pick<OutcomeScored, 'textId' | 'textType' | 'modelVersion' | 'method'>,
  dimension: string,
): string {
  const name = JSON.stringify([
    result.textId.toLowerCase(),
    result.textType,
    dimension,
    result.modelVersion ?? null,
    result.method,
  ]);
  return nameBasedUuid(OUTCOME_SCORE_NAMESPACE, name);
}

export function snippetHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Every score becomes a row; the snippets point at the result's first score. */
export function scoreRows(result: OutcomeScored): {
  scores: OutcomeScoreRow[];
  snippets: EvidenceSnippetRow[];
} {
  const scores = result.scores.map((s) => ({
    id: outcomeScoreId(result, s.dimension),
    text_id: result.textId.toLowerCase(),
    text_type: result.textType,
    dimension: s.dimension,
    score: s.score,
    confidence: s.confidence ?? null,
    model_version: result.modelVersion ?? null,
    method: result.method,
    provider_used: result.providerUsed ?? null,
    language: result.language,
    topics: result.topics,
  }));
  const first = scores[0]!.id;
  const snippets = result.snippets.map((s) => {
    const hash = snippetHash(s.text);
    return {
      id: nameBasedUuid(EVIDENCE_SNIPPET_NAMESPACE, hash),
      outcome_score_id: first,
      snippet_text: s.text,
      snippet_hash: hash,
      source_ref: s.sourceRef ?? null,
    };
  });
  return { scores, snippets };
}

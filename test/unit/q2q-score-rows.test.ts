import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeScoreRecord, outcomeScoreId, scoreRows } from '../../src/q2q/score-rows.ts';
import type { OutcomeScored } from '../../src/q2q/contract.ts';

const result: OutcomeScored = {
  textId: 'E6F7A8B9-C0D1-4E2F-9A3B-4C5D6E7F8091',
  textType: 'checkin_note',
  scores: [
    { dimension: 'well_being', score: 0.72, confidence: 0.8 },
    { dimension: 'belonging', score: 0.4 },
  ],
  modelVersion: 'q2q-2025-11',
  method: 'ai_classifier',
  providerUsed: 'claude',
  language: 'en',
  topics: ['loneliness'],
  snippets: [{ text: 'still lonely some evenings', sourceRef: 'notes:0-26' }, { text: 'settling in' }],
};
const bytes = (value: unknown) => ({ value: Buffer.from(JSON.stringify(value)) });

describe('decodeScoreRecord', () => {
  it('accepts a result of the contract', () => {
    // Ids come out lower-cased (the contracts' canonical form).
    expect(decodeScoreRecord(bytes(result))).toEqual({
      ok: true,
      result: { ...result, textId: result.textId.toLowerCase() },
    });
  });

  it.each([
    ['no value', { value: null }, 'empty', /no value/],
    ['not JSON', { value: Buffer.from('{nope') }, 'not_json', /not valid JSON/],
    [
      'score over 1',
      bytes({ ...result, scores: [{ dimension: 'belonging', score: 1.5 }] }),
      'schema_violation',
      /scores\[0\]\.score: too_big/,
    ],
    [
      'unknown dimension',
      bytes({ ...result, scores: [{ dimension: 'happiness', score: 0.5 }] }),
      'schema_violation',
      /scores\[0\]\.dimension/,
    ],
    ['no scores', bytes({ ...result, scores: [] }), 'schema_violation', /scores: too_small/],
    [
      'a dimension twice',
      bytes({ ...result, scores: [result.scores[0], result.scores[0]] }),
      'schema_violation',
      /dimension scored twice/,
    ],
    ['unknown method', bytes({ ...result, method: 'guess' }), 'schema_violation', /method: invalid_value/],
    [
      'model version too long',
      bytes({ ...result, modelVersion: 'x'.repeat(51) }),
      'schema_violation',
      /modelVersion: too_big/,
    ],
    [
      'NUL in a snippet',
      bytes({ ...result, snippets: [{ text: 'a\u0000b' }] }),
      'schema_violation',
      /\\u0000/,
    ],
  ])('rejects %s', (_, record, code, reason) => {
    const decoded = decodeScoreRecord(record);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.code).toBe(code);
    expect(decoded.reason).toMatch(reason);
  });

  it('never puts a value into the reason', () => {
    const decoded = decodeScoreRecord(bytes({ ...result, topics: 'secret text about Olena' }));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).not.toContain('Olena');
  });
});

describe('scoreRows', () => {
  it('one row per score, with an id derived from text, type, dimension, model version and method', () => {
    const { scores } = scoreRows(result);
    expect(scores.map((s) => [s.dimension, s.score, s.confidence])).toEqual([
      ['well_being', 0.72, 0.8],
      ['belonging', 0.4, null],
    ]);
    expect(scores[0]).toMatchObject({
      text_id: result.textId.toLowerCase(),
      model_version: 'q2q-2025-11',
      method: 'ai_classifier',
      provider_used: 'claude',
      language: 'en',
      topics: ['loneliness'],
    });
    // The same inputs always give the same id; any of the five changes it.
    expect(scoreRows(result).scores[0]!.id).toBe(scores[0]!.id);
    expect(outcomeScoreId({ ...result, textId: result.textId.toLowerCase() }, 'well_being')).toBe(
      scores[0]!.id,
    );
    const others = [
      outcomeScoreId({ ...result, textId: '00000000-0000-4000-8000-000000000000' }, 'well_being'),
      outcomeScoreId({ ...result, textType: 'buddy_feedback' }, 'well_being'),
      outcomeScoreId(result, 'belonging'),
      outcomeScoreId({ ...result, modelVersion: 'q2q-2025-12' }, 'well_being'),
      outcomeScoreId({ ...result, modelVersion: undefined }, 'well_being'),
      outcomeScoreId({ ...result, method: 'manual' }, 'well_being'),
    ];
    expect(new Set([scores[0]!.id, ...others]).size).toBe(7);
    expect(scores[0]!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('snippets point at the first score and are keyed by the SHA-256 hex of their text', () => {
    const { scores, snippets } = scoreRows(result);
    expect(snippets).toHaveLength(2);
    expect(snippets[0]).toMatchObject({
      outcome_score_id: scores[0]!.id,
      snippet_text: 'still lonely some evenings',
      snippet_hash: createHash('sha256').update('still lonely some evenings').digest('hex'),
      source_ref: 'notes:0-26',
    });
    expect(snippets[1]!.source_ref).toBeNull();
  });
});

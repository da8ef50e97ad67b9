import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/ops/logger.ts';
import { DLQ_HEADERS } from '../../src/pipeline/dead-letter.ts';
import type { OutcomeScored } from '../../src/q2q/contract.ts';
import { scoreIngestorGroupId } from '../../src/q2q/ingest.ts';
import { ingestScoreBatch } from '../../src/q2q/score-writer.ts';
import type { Processor } from '../../src/processor.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const textId = 'e6f7a8b9-c0d1-4e2f-9a3b-4c5d6e7f8091';
const otherTextId = 'f7a8b9c0-d1e2-4f3a-8b4c-5d6e7f8091a2';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const result: OutcomeScored = {
  textId,
  textType: 'checkin_note',
  scores: [
    { dimension: 'well_being', score: 0.35, confidence: 0.7 },
    { dimension: 'belonging', score: 0.3, confidence: 0.6 },
  ],
  modelVersion: 'q2q-2025-11',
  method: 'ai_classifier',
  providerUsed: 'claude',
  language: 'en',
  topics: ['loneliness', 'evenings'],
  snippets: [{ text: 'still lonely some evenings', sourceRef: 'notes:0' }, { text: 'settling in well' }],
};

describe('q2q.outcome.scored -> outcome_scores and evidence_snippets', () => {
  let stream: TestStream;
  let processor: Processor;
  const scoresTopic = () => stream.config.Q2Q_SCORES_TOPIC;
  const publish = (values: (object | string)[]) =>
    stream.publish(values.map((value) => ({ topic: scoresTopic(), key: textId, value })));
  const rows = async (sql: string, params: unknown[] = []) => (await stream.pool.query(sql, params)).rows;

  beforeAll(async () => {
    stream = await createTestStream('q2qingest', { partitions: 1 });
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('ingests a result once however often it arrives; a new model version adds rows', async () => {
    await publish([result, result]);
    ({ processor } = await stream.startProcessor());
    await processor.waitUntilCaughtUp();

    const scores = await rows(
      `SELECT text_id, text_type, dimension, score::float8 AS score, confidence::float8 AS confidence,
         model_version, method::text, provider_used, language::text, topics
       FROM outcome_scores ORDER BY dimension`,
    );
    expect(scores).toEqual([
      {
        text_id: textId,
        text_type: 'checkin_note',
        dimension: 'belonging',
        score: 0.3,
        confidence: 0.6,
        model_version: 'q2q-2025-11',
        method: 'ai_classifier',
        provider_used: 'claude',
        language: 'en',
        topics: ['loneliness', 'evenings'],
      },
      expect.objectContaining({ dimension: 'well_being', score: 0.35, confidence: 0.7 }),
    ]);
    const firstScore = (await rows(`SELECT id FROM outcome_scores WHERE dimension = 'well_being'`))[0].id;
    expect(
      await rows(
        'SELECT outcome_score_id, snippet_text, snippet_hash, source_ref FROM evidence_snippets ORDER BY snippet_text',
      ),
    ).toEqual([
      {
        outcome_score_id: firstScore,
        snippet_text: 'settling in well',
        snippet_hash: sha256('settling in well'),
        source_ref: null,
      },
      {
        outcome_score_id: firstScore,
        snippet_text: 'still lonely some evenings',
        snippet_hash: sha256('still lonely some evenings'),
        source_ref: 'notes:0',
      },
    ]);

    // A redelivery of the same records (as after a lost offset) writes nothing either.
    const redelivered = await ingestScoreBatch(
      {
        pool: stream.pool,
        groupId: 'another-group',
        deadLetters: { publish: async () => undefined },
        log: createLogger({ level: 'silent' }),
      },
      [0, 1].map((offset) => ({
        position: { topic: scoresTopic(), partition: 0, offset: String(offset) },
        key: null,
        value: Buffer.from(JSON.stringify(result)),
        headers: {},
        timestamp: '0',
      })),
    );
    expect(redelivered).toMatchObject({ results: 2, scoresInserted: 0, snippetsInserted: 0 });

    // A new model version: two new score rows; its snippet already known is skipped, the new one is not.
    const next = {
      ...result,
      modelVersion: 'q2q-2025-12',
      snippets: [{ text: 'still lonely some evenings' }, { text: 'made a friend at school' }],
    };
    await publish([next]);
    await processor.waitUntilCaughtUp();
    expect(
      await rows('SELECT model_version, count(*)::int AS n FROM outcome_scores GROUP BY 1 ORDER BY 1'),
    ).toEqual([
      { model_version: 'q2q-2025-11', n: 2 },
      { model_version: 'q2q-2025-12', n: 2 },
    ]);
    expect(
      await rows('SELECT snippet_text, outcome_score_id FROM evidence_snippets ORDER BY snippet_text'),
    ).toEqual([
      expect.objectContaining({ snippet_text: 'made a friend at school' }),
      { snippet_text: 'settling in well', outcome_score_id: firstScore },
      { snippet_text: 'still lonely some evenings', outcome_score_id: firstScore },
    ]);
    const newSnippet = await rows(
      `SELECT s.model_version FROM evidence_snippets e JOIN outcome_scores s ON s.id = e.outcome_score_id
       WHERE e.snippet_text = 'made a friend at school'`,
    );
    expect(newSnippet).toEqual([{ model_version: 'q2q-2025-12' }]);

    // A known snippet in another text's result is skipped too.
    await publish([{ ...result, textId: otherTextId, snippets: [{ text: 'settling in well' }] }]);
    await processor.waitUntilCaughtUp();
    expect(
      await rows('SELECT count(*)::int AS n FROM outcome_scores WHERE text_id = $1', [otherTextId]),
    ).toEqual([{ n: 2 }]);
    expect(
      await rows(`SELECT outcome_score_id FROM evidence_snippets WHERE snippet_text = 'settling in well'`),
    ).toEqual([{ outcome_score_id: firstScore }]);
    const stored = await rows('SELECT next_offset::int AS n FROM stream_offsets WHERE group_id = $1', [
      scoreIngestorGroupId(stream.config),
    ]);
    expect(stored).toEqual([{ n: 4 }]);
  });

  it('dead-letters an invalid result with the reason, and goes on', async () => {
    const valid = { ...result, textId: '0d6b1f3e-0000-4000-8000-000000000001' };
    await stream.publish([
      {
        topic: scoresTopic(),
        key: 'bad-score',
        value: { ...result, scores: [{ dimension: 'belonging', score: 7 }] },
      },
      { topic: scoresTopic(), key: 'not-json', value: '{"textId": nope' },
      { topic: scoresTopic(), key: 'valid', value: valid },
    ]);
    await processor.waitUntilCaughtUp();

    const letters = await stream.readTopic(stream.config.DLQ_TOPIC, 2);
    expect(letters.map((l) => l.key?.toString()).sort()).toEqual(['bad-score', 'not-json']);
    const bad = letters.find((l) => l.key?.toString() === 'bad-score')!;
    expect(bad.headers[DLQ_HEADERS.className]).toBe('buddy-stream.schema_violation');
    expect(bad.headers[DLQ_HEADERS.stage]).toBe('TRANSFORMATION');
    expect(bad.headers[DLQ_HEADERS.topic]).toBe(scoresTopic());
    expect(bad.headers[DLQ_HEADERS.message]).toMatch(/scores\[0\]\.score: too_big/);
    expect(JSON.parse(bad.value!.toString()).scores[0].score).toBe(7);
    const notJson = letters.find((l) => l.key?.toString() === 'not-json')!;
    expect(notJson.headers[DLQ_HEADERS.className]).toBe('buddy-stream.not_json');
    expect(
      await rows('SELECT count(*)::int AS n FROM outcome_scores WHERE text_id = $1', [valid.textId]),
    ).toEqual([{ n: 2 }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DLQ_HEADERS } from '../../src/pipeline/dead-letter.ts';
import { BASELINE_MODEL_VERSION } from '../../src/q2q/baseline-rules.ts';
import type { TextRequested } from '../../src/q2q/contract.ts';
import { runCli } from '../support/cli.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const text = (
  n: number,
  textType: TextRequested['textType'],
  body: string,
  language: TextRequested['language'],
) =>
  ({
    recordId: `00000000-0000-4000-8000-00000000010${n}`,
    textId: `00000000-0000-4000-8000-00000000020${n}`,
    textType,
    text: body,
    language,
    userId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
    matchId: 'a8098c1a-f86e-41d3-b2f6-7a1e2d3c4b5a',
    companyId: null,
    expectedDimensions:
      textType === 'checkin_note'
        ? ['well_being', 'belonging']
        : textType === 'buddy_feedback'
          ? ['confidence', 'belonging', 'job_readiness']
          : ['confidence', 'job_readiness'],
    sourceEventId: `00000000-0000-4000-8000-00000000030${n}`,
    createdAt: '2025-03-01T10:00:00.000Z',
  }) satisfies TextRequested;

const texts = [
  text(1, 'checkin_note', 'Hard week, still lonely. The kids are making friends.', 'en'),
  text(2, 'buddy_feedback', 'Ми добре ладнаємо, він уже сам шукає роботу.', 'unknown'),
  text(
    3,
    'skill_feedback',
    'Teacher: Lærte raskt.\n\nLearner: Jeg føler meg tryggere når jeg søker jobb nå.',
    'uk',
  ),
];

describe('bin/buddy-stream q2q score: texts in, baseline scores out, ingested', () => {
  let stream: TestStream;
  beforeAll(async () => {
    stream = await createTestStream('q2qscore', { partitions: 2 });
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('scores every text once, dead-letters the invalid one, and the processor ingests the scores', async () => {
    const { Q2Q_TEXT_TOPIC, Q2Q_SCORES_TOPIC, DLQ_TOPIC } = stream.config;
    await stream.publish([
      ...texts.map((t) => ({ topic: Q2Q_TEXT_TOPIC, key: t.userId, value: t })),
      { topic: Q2Q_TEXT_TOPIC, key: 'no-text', value: { ...texts[0], textId: 'nope', text: '' } },
    ]);

    const run = await runCli(['q2q', 'score', '--until-caught-up'], stream.env);
    expect(run.stderr).not.toMatch(/"level":"error"/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`q2q score: 4 texts read, 3 scored (${Q2Q_SCORES_TOPIC}), 1 dead-lettered`);

    const results = await stream.readTopic(Q2Q_SCORES_TOPIC, 3);
    expect(results.map((r) => r.key?.toString()).sort()).toEqual(texts.map((t) => t.textId));
    for (const r of results) {
      expect(JSON.parse(r.value!.toString())).toMatchObject({
        method: 'rule_based',
        modelVersion: BASELINE_MODEL_VERSION,
        providerUsed: null,
      });
    }
    const [letter] = await stream.readTopic(DLQ_TOPIC, 1);
    expect(letter!.key?.toString()).toBe('no-text');
    expect(letter!.headers[DLQ_HEADERS.className]).toBe('buddy-stream.schema_violation');
    expect(letter!.headers[DLQ_HEADERS.message]).toMatch(/textId: invalid_format.*text: too_small/);

    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    const scores = await stream.pool.query(
      `SELECT text_id, dimension, score::float8 AS score, confidence::float8 AS confidence, language::text, method::text
       FROM outcome_scores ORDER BY text_id, dimension`,
    );
    const by = (n: number) =>
      scores.rows
        .filter((r) => r.text_id === texts[n - 1]!.textId)
        .map((r) => [r.dimension, r.score, r.confidence, r.language, r.method]);
    // en: hard, lonely (well_being -2); lonely, friend (belonging 0)
    expect(by(1)).toEqual([
      ['belonging', 0.5, 0.3, 'en', 'rule_based'],
      ['well_being', 0.2, 0.3, 'en', 'rule_based'],
    ]);
    // uk (detected; the record said unknown): ладнаєм (belonging +1), робот (job_readiness +1)
    expect(by(2)).toEqual([
      ['belonging', 0.65, 0.2, 'uk', 'rule_based'],
      ['confidence', 0.5, 0.1, 'uk', 'rule_based'],
      ['job_readiness', 0.65, 0.2, 'uk', 'rule_based'],
    ]);
    // no (detected; the record said uk): trygg (+1); søke, jobb (+2)
    expect(by(3)).toEqual([
      ['confidence', 0.65, 0.2, 'no', 'rule_based'],
      ['job_readiness', 0.8, 0.3, 'no', 'rule_based'],
    ]);
    const snippets = await stream.pool.query('SELECT snippet_text FROM evidence_snippets');
    expect(snippets.rows.map((r) => r.snippet_text).sort()).toEqual([
      'Hard week, still lonely.',
      'Learner: Jeg føler meg tryggere når jeg søker jobb nå.',
      'The kids are making friends.',
      'Ми добре ладнаємо, він уже сам шукає роботу.',
    ]);

    // A second run finds nothing new: the group's offsets were committed.
    const again = await runCli(['q2q', 'score', '--until-caught-up'], stream.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('q2q score: 0 texts read');
  });
});

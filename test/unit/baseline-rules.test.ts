import { describe, expect, it } from 'vitest';
import {
  BASELINE_MODEL_VERSION,
  baselineResult,
  deidentify,
  detectLanguage,
  scoreText,
} from '../../src/q2q/baseline-rules.ts';
import { outcomeScoredSchema, type TextRequested } from '../../src/q2q/contract.ts';

const byDimension = (r: ReturnType<typeof scoreText>) =>
  Object.fromEntries(r.scores.map((s) => [s.dimension, [s.score, s.confidence]]));

describe('detectLanguage', () => {
  it.each([
    ['Цього тижня була перша співбесіда, хвилююся, але маю надію.', 'uk'],
    ['Føler meg mer hjemme for hver uke.', 'no'],
    ['Vi møtes hver uke, det betyr mye for meg.', 'no'],
    ['Det går bedre nå, men kveldene er litt ensomme.', 'no'],
    ['Veldig snill, jeg har en venn her nå', 'no'],
    ['The kids started school and are making friends.', 'en'],
    ['12345 !!!', 'unknown'],
    ['Excellent session', 'unknown'],
  ])('%s -> %s', (text, language) => {
    expect(detectLanguage(text)).toBe(language);
  });
});

describe('scoreText: score = clamp(0.5 + 0.15 * (pos - neg)), confidence = min(0.6, 0.1 + 0.1 * matches)', () => {
  it('English: one positive and one negative keyword per dimension', () => {
    const r = scoreText('I feel more confident applying for jobs now.', 'en', [
      'confidence',
      'job_readiness',
    ]);
    expect(r.language).toBe('en');
    // confiden (+1); applying, job (+2)
    expect(byDimension(r)).toEqual({ confidence: [0.65, 0.2], job_readiness: [0.8, 0.3] });
    expect(r.topics).toEqual(['confiden', 'applying', 'job']);
  });

  it('English: negative keywords lower the score, the longest stem wins (homesick is not home)', () => {
    const r = scoreText('Hard week, lonely and homesick. Overwhelmed by paperwork.', 'en', [
      'well_being',
      'belonging',
    ]);
    // well_being: hard, lonely, overwhelm (-3); belonging: lonely, homesick (-2)
    expect(byDimension(r)).toEqual({ well_being: [0.05, 0.4], belonging: [0.2, 0.3] });
    expect(r.topics).not.toContain('home');
  });

  it('Ukrainian', () => {
    const r = scoreText('Тепер я впевненіше подаюся на вакансії. Маю друзів.', 'uk', [
      'confidence',
      'job_readiness',
      'belonging',
    ]);
    expect(r.language).toBe('uk');
    expect(byDimension(r)).toEqual({
      confidence: [0.65, 0.2],
      job_readiness: [0.65, 0.2],
      belonging: [0.65, 0.2],
    });
    expect(r.topics).toEqual(['впевнен', 'вакансі', 'друз']);
  });

  it('Norwegian: a whole-word stem does not match a longer word (fin is not finne)', () => {
    const r = scoreText('Vanskelig å finne tid. Jeg er ensom og trist.', 'no', ['well_being']);
    // vanskelig, ensom, trist (-3); "finne" matches nothing
    expect(byDimension(r)).toEqual({ well_being: [0.05, 0.4] });
    const fin = scoreText('Fin fremgang, jeg er glad.', 'no', ['well_being', 'confidence']);
    expect(byDimension(fin)).toEqual({ well_being: [0.8, 0.3], confidence: [0.65, 0.2] });
  });

  it('clamps at 1 and caps the confidence at 0.6', () => {
    const r = scoreText('Happy, glad, calm, relaxed, hopeful, better, great!', 'en', ['well_being']);
    expect(byDimension(r)).toEqual({ well_being: [1, 0.6] });
  });

  it('no keyword: neutral 0.5 at confidence 0.1, no topics, no snippets', () => {
    const r = scoreText('Scheduling is tricky but the match works.', 'en', ['confidence']);
    expect(byDimension(r)).toEqual({ confidence: [0.5, 0.1] });
    expect(r.topics).toEqual([]);
    expect(r.snippets).toEqual([]);
  });

  it("detects the text's language over the record's (the author's preference), per sentence too", () => {
    const text = 'Teacher: Він тепер впевненіший.\n\nLearner: Jeg føler meg tryggere nå.';
    const r = scoreText(text, 'en', ['confidence']);
    expect(r.language).toBe('no');
    // впевнен in the Ukrainian sentence, trygg in the Norwegian one
    expect(byDimension(r)).toEqual({ confidence: [0.8, 0.3] });
    expect(r.topics).toEqual(['впевнен', 'trygg']);
    // Detection unknown: the record's language is used.
    expect(scoreText('Excellent, confident!', 'en', ['confidence']).scores[0]!.score).toBe(0.65);
    expect(scoreText('Excellent, confident!', 'unknown', ['confidence']).language).toBe('unknown');
  });

  it('snippets: the matching sentences, at most 3, in text order, with their position', () => {
    const text = 'Hard week. Nothing else. Lonely evenings. Stressed at work. Tired again.';
    const r = scoreText(text, 'en', ['well_being']);
    expect(r.snippets).toEqual([
      { text: 'Hard week.', sourceRef: 'sentence:1' },
      { text: 'Lonely evenings.', sourceRef: 'sentence:3' },
      { text: 'Stressed at work.', sourceRef: 'sentence:4' },
    ]);
  });
});

describe('deidentify', () => {
  it('replaces names, e-mail addresses, links and phone numbers', () => {
    expect(
      deidentify(
        'Yesterday I met Olena Kovalenko at NAV, call +47 912 34 567 or olena@example.org, https://x.no/a',
      ),
    ).toBe('Yesterday I met [name] [name] at NAV, call [number] or [email], [link]');
    expect(deidentify('Teacher: Picked up Norwegian quickly.')).toBe('Teacher: Picked up Norwegian quickly.');
  });
});

describe('baselineResult', () => {
  it('is a valid q2q.outcome.scored result of the expected dimensions, method rule_based', () => {
    const request: TextRequested = {
      recordId: '6f1c2b8e-1d3a-5c4e-9f0b-2a7d8e6c5b41',
      textId: 'e6f7a8b9-c0d1-4e2f-9a3b-4c5d6e7f8091',
      textType: 'buddy_feedback',
      text: 'We get along well; she is now applying for jobs on her own.',
      language: 'no',
      userId: '3f2504e0-4f89-41d3-9a0c-0305e82c3301',
      matchId: null,
      companyId: null,
      expectedDimensions: ['confidence', 'belonging', 'job_readiness'],
      sourceEventId: 'f7a8b9c0-d1e2-4f3a-8b4c-5d6e7f8091a2',
      createdAt: '2025-02-01T10:00:00.000Z',
    };
    const result = baselineResult(request);
    expect(outcomeScoredSchema.parse(result)).toEqual(result);
    expect(result).toMatchObject({
      textId: request.textId,
      textType: 'buddy_feedback',
      method: 'rule_based',
      modelVersion: BASELINE_MODEL_VERSION,
      providerUsed: null,
      language: 'en',
    });
    expect(result.scores.map((s) => [s.dimension, s.score])).toEqual([
      ['confidence', 0.65],
      ['belonging', 0.65],
      ['job_readiness', 0.8],
    ]);
  });
});

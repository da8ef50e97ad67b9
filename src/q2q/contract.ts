// The Q2Q wire contract (docs/q2q.md): texts out on q2q.text.requested, scores in on q2q.outcome.scored.
// The source of schemas/q2q.*.schema.json (src/contracts/json-schema.ts renders them).
import { z } from 'zod';
import { isoDateTime, unitInterval, uuid } from '../contracts/primitives.ts';

export const Q2Q_DIMENSIONS = [
  'confidence',
  'belonging',
  'lang_level_proxy',
  'job_readiness',
  'well_being',
] as const;
export type Q2qDimension = (typeof Q2Q_DIMENSIONS)[number];

export const Q2Q_LANGUAGE_CODES = ['en', 'uk', 'no', 'unknown'] as const;
export type Q2qLanguageCode = (typeof Q2Q_LANGUAGE_CODES)[number];

/** What buddy-stream sends; `kintell_feedback` only comes back (other platform sources score it). */
export const REQUESTED_TEXT_TYPES = ['checkin_note', 'buddy_feedback', 'skill_feedback'] as const;
export const SCORED_TEXT_TYPES = [...REQUESTED_TEXT_TYPES, 'kintell_feedback'] as const;
export const SCORE_METHODS = ['ai_classifier', 'rule_based', 'manual'] as const;

export const MAX_Q2Q_TEXT_CHARS = 10_000;

const dimension = z.enum(Q2Q_DIMENSIONS);

export const textRequestedSchema = z.object({
  recordId: uuid,
  textId: uuid,
  textType: z.enum(REQUESTED_TEXT_TYPES),
  text: z.string().min(1).max(MAX_Q2Q_TEXT_CHARS),
  language: z.enum(Q2Q_LANGUAGE_CODES),
  userId: uuid,
  matchId: uuid.nullable(),
  companyId: uuid.nullable(),
  expectedDimensions: z.array(dimension).min(1),
  sourceEventId: uuid,
  createdAt: isoDateTime,
});
export type TextRequested = z.output<typeof textRequestedSchema>;

const scoreSchema = z.object({
  dimension,
  score: unitInterval,
  confidence: unitInterval.optional(),
});

// Lengths are the columns' (outcome_scores.model_version and provider_used varchar(50),
// evidence_snippets.source_ref varchar(255)), so a valid result is always storable.
export const outcomeScoredSchema = z.object({
  textId: uuid,
  textType: z.enum(SCORED_TEXT_TYPES),
  scores: z
    .array(scoreSchema)
    .min(1)
    .superRefine((scores, ctx) => {
      const seen = new Set<string>();
      scores.forEach((s, i) => {
        if (seen.has(s.dimension))
          ctx.addIssue({ code: 'custom', path: [i, 'dimension'], message: 'dimension scored twice' });
        seen.add(s.dimension);
      });
    }),
  modelVersion: z.string().min(1).max(50).optional(),
  method: z.enum(SCORE_METHODS),
  providerUsed: z.string().min(1).max(50).nullable().optional(),
  language: z.enum(Q2Q_LANGUAGE_CODES),
  topics: z.array(z.string().min(1).max(200)).max(100),
  snippets: z
    .array(
      z.object({
        text: z.string().min(1).max(MAX_Q2Q_TEXT_CHARS),
        sourceRef: z.string().max(255).optional(),
      }),
    )
    .max(50),
});
export type OutcomeScored = z.output<typeof outcomeScoredSchema>;

/** The two topics' contracts by logical topic name, for the JSON Schema generator. */
export const Q2Q_CONTRACTS = {
  'q2q.text.requested': {
    schema: textRequestedSchema,
    description:
      'One free text of the Buddy Program to score (published by buddy-stream through the outbox). Key: the CSR user id.',
  },
  'q2q.outcome.scored': {
    schema: outcomeScoredSchema,
    description:
      'Scores per outcome dimension of one text, with evidence snippets (ingested by buddy-stream). Key: the textId.',
  },
} as const;

/** Postgres text and jsonb refuse \u0000 and lone surrogates; only parsed JSON can hold them. */
export function storableText(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed() && !value.includes('\u0000');
  if (Array.isArray(value)) return value.every(storableText);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).every(([k, v]) => storableText(k) && storableText(v));
  }
  return true;
}

import { z } from 'zod';
import { isoDateTime, nonNegativeInt, positiveInt, unitInterval, uuid } from '../primitives.ts';

export const MATCH_END_REASONS = [
  'completed',
  'participant_request',
  'buddy_request',
  'mutual_agreement',
  'inactivity',
  'violation',
  'program_ended',
  'other',
] as const;

/** buddy.match.ended: a match closed. Primary user: participantId. */
export const matchEndedSchema = z.object({
  matchId: uuid,
  participantId: uuid,
  buddyId: uuid,
  endedAt: isoDateTime,
  /** Length of the match in days. */
  duration: positiveInt,
  reason: z.enum(MATCH_END_REASONS),
  reasonDetails: z.string().max(500).optional(),
  sessionsCompleted: nonNegativeInt.optional(),
  eventsAttended: nonNegativeInt.optional(),
  feedback: z
    .object({
      participantSatisfaction: unitInterval.optional(),
      buddySatisfaction: unitInterval.optional(),
    })
    .optional(),
});

export type MatchEnded = z.output<typeof matchEndedSchema>;
export type MatchEndReason = (typeof MATCH_END_REASONS)[number];

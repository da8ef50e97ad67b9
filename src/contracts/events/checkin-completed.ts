import { z } from 'zod';
import { isoDateTime, uuid } from '../primitives.ts';

export const CHECKIN_MOODS = ['great', 'good', 'okay', 'struggling', 'difficult'] as const;

/** buddy.checkin.completed: a wellness check-in of a match. Primary user: the match's participant. */
export const checkinCompletedSchema = z.object({
  checkinId: uuid,
  matchId: uuid,
  checkinDate: isoDateTime,
  mood: z.enum(CHECKIN_MOODS).optional(),
  /** PII: free text, feeds Q2Q (well_being, belonging). */
  notes: z.string().optional(),
  /** Free object: kept as sent (keys are question ids chosen by the Buddy app). */
  questionResponses: z.record(z.string(), z.unknown()).optional(),
});

export type CheckinCompleted = z.output<typeof checkinCompletedSchema>;
export type CheckinMood = (typeof CHECKIN_MOODS)[number];

import { z } from 'zod';
import { isoDateTime, unitInterval, uuid } from '../primitives.ts';

/** buddy.feedback.submitted: one side of a match rated it. Primary user: the match's participant. */
export const feedbackSubmittedSchema = z.object({
  feedbackId: uuid,
  matchId: uuid,
  fromRole: z.enum(['participant', 'buddy']),
  /** Already normalised to 0..1 upstream. */
  rating: unitInterval,
  /** PII: free text, feeds Q2Q (confidence, belonging, job_readiness). */
  feedbackText: z.string().optional(),
  submittedAt: isoDateTime,
  categories: z
    .object({
      communication: unitInterval.optional(),
      helpfulness: unitInterval.optional(),
      engagement: unitInterval.optional(),
    })
    .optional(),
});

export type FeedbackSubmitted = z.output<typeof feedbackSubmittedSchema>;

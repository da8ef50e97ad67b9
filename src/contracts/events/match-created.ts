import { z } from 'zod';
import { isoDateTime, uuid } from '../primitives.ts';

/** buddy.match.created: a participant and a buddy were matched. Primary user: participantId. */
export const matchCreatedSchema = z.object({
  matchId: uuid,
  participantId: uuid,
  buddyId: uuid,
  matchedAt: isoDateTime,
  matchingCriteria: z
    .object({
      language: z.string().optional(),
      interests: z.array(z.string()).optional(),
      location: z.string().optional(),
    })
    .optional(),
  programId: uuid.optional(),
  campaignId: uuid.optional(),
  beneficiaryGroupId: uuid.optional(),
});

export type MatchCreated = z.output<typeof matchCreatedSchema>;

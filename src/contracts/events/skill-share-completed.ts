import { z } from 'zod';
import { eventFormat, isoDateTime, positiveInt, sdgGoals, unitInterval, uuid } from '../primitives.ts';

/** buddy.skill_share.completed: a teacher taught a learner one skill session. Primary user: learnerId. */
export const skillShareCompletedSchema = z.object({
  sessionId: uuid,
  skillId: positiveInt,
  skillName: z.string().max(100),
  skillCategory: z.string().max(50).optional(),
  teacherId: uuid,
  learnerId: uuid,
  matchId: uuid.optional(),
  completedAt: isoDateTime,
  scheduledAt: isoDateTime.optional(),
  durationMinutes: positiveInt.optional(),
  format: eventFormat.optional(),
  proficiencyLevel: z.enum(['beginner', 'intermediate', 'advanced']).optional(),
  feedback: z
    .object({
      teacherRating: unitInterval.optional(),
      learnerRating: unitInterval.optional(),
      /** PII: free text, feeds Q2Q. */
      teacherComment: z.string().max(500).optional(),
      /** PII: free text, feeds Q2Q. */
      learnerComment: z.string().max(500).optional(),
      learnerProgress: z
        .enum(['no-progress', 'some-progress', 'good-progress', 'excellent-progress'])
        .optional(),
    })
    .optional(),
  sdgGoals: sdgGoals.optional(),
  valuationPoints: positiveInt.optional(),
});

export type SkillShareCompleted = z.output<typeof skillShareCompletedSchema>;

import { z } from 'zod';
import { isoDateTime, nonNegativeInt, positiveInt, uuid } from '../primitives.ts';

export const MILESTONE_CATEGORIES = [
  'onboarding',
  'cultural',
  'language',
  'community',
  'professional',
  'skills',
  'events',
  'buddy-connection',
  'impact',
  'completion',
  'other',
] as const;

/** buddy.milestone.reached: a user reached a milestone of the Buddy app. Primary user: userId. */
export const milestoneReachedSchema = z.object({
  /** The Buddy app's numeric milestone id, not a UUID. */
  milestoneId: positiveInt,
  userId: uuid,
  milestoneTitle: z.string().max(100),
  milestoneCategory: z.enum(MILESTONE_CATEGORIES),
  reachedAt: isoDateTime,
  points: nonNegativeInt,
  badgeIcon: z.string().max(50).optional(),
  targetRole: z.enum(['participant', 'buddy', 'all']).optional(),
  progress: z
    .object({
      currentStep: positiveInt.optional(),
      totalSteps: positiveInt.optional(),
      completedSteps: z.array(z.string()).optional(),
    })
    .optional(),
  metadata: z
    .object({
      isFirstTime: z.boolean().optional(),
      streakCount: positiveInt.optional(),
      /** The catalog names only `{type, id}`; ids of related entities are not always UUIDs. */
      relatedEntities: z.array(z.object({ type: z.string(), id: z.string() })).optional(),
    })
    .optional(),
});

export type MilestoneReached = z.output<typeof milestoneReachedSchema>;
export type MilestoneCategory = (typeof MILESTONE_CATEGORIES)[number];

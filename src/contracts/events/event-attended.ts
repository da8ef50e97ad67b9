import { z } from 'zod';
import { eventFormat, isoDateTime, positiveInt, sdgGoals, uuid } from '../primitives.ts';

export const FORMAL_EVENT_TYPES = [
  'cultural',
  'educational',
  'professional',
  'social',
  'support',
  'recreational',
  'language',
  'other',
] as const;

/** buddy.event.attended: a user attended a formal event. Primary user: userId. */
export const eventAttendedSchema = z.object({
  eventId: uuid,
  userId: uuid,
  matchId: uuid.optional(),
  eventTitle: z.string().max(200),
  eventType: z.enum(FORMAL_EVENT_TYPES),
  eventFormat,
  attendedAt: isoDateTime,
  location: z.string().max(200).optional(),
  durationMinutes: positiveInt.optional(),
  attendeeCount: positiveInt.optional(),
  organizer: z.string().max(100).optional(),
  categories: z.array(z.string()).optional(),
  sdgGoals: sdgGoals.optional(),
});

export type EventAttended = z.output<typeof eventAttendedSchema>;

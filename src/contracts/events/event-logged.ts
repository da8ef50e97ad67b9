import { z } from 'zod';
import { isoDateTime, uuid } from '../primitives.ts';

/**
 * buddy.event.logged: an informal activity of a match (hangout, call, ...).
 * Primary user: the match's participant.
 */
export const eventLoggedSchema = z.object({
  eventId: uuid,
  matchId: uuid,
  /** Free string upstream: hangout, activity, workshop, video_call, call, ... */
  eventType: z.string(),
  eventDate: isoDateTime,
  description: z.string().optional(),
  location: z.string().optional(),
  attendees: z.array(uuid).optional(),
});

export type EventLogged = z.output<typeof eventLoggedSchema>;

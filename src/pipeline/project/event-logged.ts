import type { BuddyEventOf } from '../../contracts/index.ts';
import { parked, type Project } from './types.ts';

/** buddy.event.logged (an informal activity of a match) -> buddy_events. */
export const projectEventLogged: Project<BuddyEventOf<'buddy.event.logged'>> = (event, lookup) => {
  const { eventId, matchId, eventType, eventDate, description, location, attendees } = event.data;
  const match = lookup.match(matchId);
  if (!match) return parked('match', matchId);
  return {
    kind: 'applied',
    rows: {
      buddy_events: [
        {
          id: eventId,
          match_id: matchId,
          event_type: eventType,
          event_date: eventDate,
          description: description ?? null,
          location: location ?? null,
          metadata: { source: 'event.logged', ...(attendees ? { attendees } : {}) },
        },
      ],
    },
    users: [match.participantId, match.buddyId],
    primaryBuddyId: match.participantBuddyId,
  };
};

import type { BuddyEventOf } from '../../contracts/index.ts';
import { formalEventRowId } from '../ids.ts';
import { parked, type Project } from './types.ts';
import { compact, unique } from './util.ts';

/**
 * buddy.event.attended (a formal event) -> buddy_events, one row per match, with the seed's metadata
 * extension. Without a matchId there is no buddy_events row (match_id is NOT NULL): the event counts as
 * the user's activity only.
 */
export const projectEventAttended: Project<BuddyEventOf<'buddy.event.attended'>> = (event, lookup) => {
  const d = event.data;
  const user = lookup.user(d.userId);
  if (!user) return parked('user', d.userId);
  if (!d.matchId) return { kind: 'applied', rows: {}, users: [user], primaryBuddyId: d.userId };
  const match = lookup.match(d.matchId);
  if (!match) return parked('match', d.matchId);
  return {
    kind: 'applied',
    rows: {
      buddy_events: [
        {
          id: formalEventRowId(d.eventId, d.matchId),
          match_id: d.matchId,
          event_type: d.eventType,
          event_date: d.attendedAt,
          description: d.eventTitle,
          location: d.location ?? null,
          metadata: compact({
            source: 'event.attended',
            formal_event_id: d.eventId,
            event_format: d.eventFormat,
            duration_minutes: d.durationMinutes,
            attendee_count: d.attendeeCount,
            organizer: d.organizer,
            categories: d.categories,
            sdg_goals: d.sdgGoals,
          }),
        },
      ],
    },
    users: unique([user, match.participantId, match.buddyId]),
    primaryBuddyId: d.userId,
  };
};

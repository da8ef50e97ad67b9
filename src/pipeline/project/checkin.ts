import type { BuddyEventOf } from '../../contracts/index.ts';
import { textRecord } from '../../q2q/text-record.ts';
import { parked, type Project } from './types.ts';

/** buddy.checkin.completed -> buddy_checkins. */
export const projectCheckin: Project<BuddyEventOf<'buddy.checkin.completed'>> = (event, lookup) => {
  const { checkinId, matchId, checkinDate, mood, notes } = event.data;
  const match = lookup.match(matchId);
  if (!match) return parked('match', matchId);
  return {
    kind: 'applied',
    rows: {
      buddy_checkins: [
        {
          id: checkinId,
          match_id: matchId,
          checkin_date: checkinDate,
          mood: mood ?? null,
          notes: notes ?? null,
        },
      ],
    },
    users: [match.participantId, match.buddyId],
    primaryBuddyId: match.participantBuddyId,
    outbox: textRecord({
      textType: 'checkin_note',
      textId: checkinId,
      text: notes,
      userId: match.participantId,
      matchId,
      companyId: match.companyId,
      languagePreference: lookup.info(match.participantId)?.languagePreference,
      sourceEventId: event.id,
      createdAt: checkinDate,
    }),
  };
};

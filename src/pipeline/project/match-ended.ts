import type { BuddyEventOf } from '../../contracts/index.ts';
import { parked, type Project } from './types.ts';

/** buddy.match.ended -> buddy_matches status 'ended'. An end before its match waits for the match. */
export const projectMatchEnded: Project<BuddyEventOf<'buddy.match.ended'>> = (event, lookup) => {
  const { matchId, endedAt, reason } = event.data;
  const match = lookup.match(matchId);
  if (!match) return parked('match', matchId);
  return {
    kind: 'applied',
    rows: { match_ends: [{ id: matchId, ended_at: endedAt, end_reason: reason }] },
    users: [match.participantId, match.buddyId],
    primaryBuddyId: event.data.participantId,
  };
};

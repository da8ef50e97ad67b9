import type { BuddyEventOf } from '../../contracts/index.ts';
import { parked, type Project } from './types.ts';

/** buddy.match.created -> buddy_matches (active). Waits for both people to be registered. */
export const projectMatchCreated: Project<BuddyEventOf<'buddy.match.created'>> = (event, lookup) => {
  const { matchId, participantId, buddyId, matchedAt } = event.data;
  const participant = lookup.user(participantId);
  if (!participant) return parked('user', participantId);
  const buddy = lookup.user(buddyId);
  if (!buddy) return parked('user', buddyId);
  return {
    kind: 'applied',
    rows: {
      buddy_matches: [
        {
          id: matchId,
          participant_id: participant,
          buddy_id: buddy,
          matched_at: matchedAt,
          status: 'active',
          company_id: event.metadata?.companyId ?? null,
        },
      ],
    },
    users: [participant, buddy],
    primaryBuddyId: participantId,
  };
};

import type { BuddyEvent } from './events/index.ts';

export * from './envelope.ts';
export * from './events/index.ts';
export { isoDateTime, uuid } from './primitives.ts';

/** Upstream keeps events under 10 KB; anything over 1 MB is poison and goes to the dead-letter topic. */
export const MAX_EVENT_BYTES = 1_048_576;

export type PrimaryUser = { buddyUserId: string } | { matchId: string };

/**
 * The Buddy user an event is about (the Kafka key producers use, and `buddy_system_events.user_id`).
 * Events that only name a match return `{ matchId }`: their primary user is the match's participant,
 * which the caller resolves through the match. `buddy.import.batch` is about no user.
 */
export function primaryUserOf(event: BuddyEvent): PrimaryUser | null {
  switch (event.type) {
    case 'buddy.match.created':
    case 'buddy.match.ended':
      return { buddyUserId: event.data.participantId };
    case 'buddy.event.logged':
    case 'buddy.checkin.completed':
    case 'buddy.feedback.submitted':
      return { matchId: event.data.matchId };
    case 'buddy.event.attended':
    case 'buddy.milestone.reached':
    case 'buddy.user.registered':
    case 'buddy.user.updated':
      return { buddyUserId: event.data.userId };
    case 'buddy.skill_share.completed':
      return { buddyUserId: event.data.learnerId };
    case 'buddy.import.batch':
      return null;
  }
}

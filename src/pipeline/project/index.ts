// Event -> rows, one pure projection per event type. User events are not here: identity resolution
// creates users and links, which needs the database (pipeline/identity.ts).
import type { BuddyEvent, BuddyEventOf, EventType } from '../../contracts/index.ts';
import { projectCheckin } from './checkin.ts';
import { projectEventAttended } from './event-attended.ts';
import { projectEventLogged } from './event-logged.ts';
import { projectFeedback } from './feedback.ts';
import { projectMatchCreated } from './match-created.ts';
import { projectMatchEnded } from './match-ended.ts';
import { projectMilestone } from './milestone.ts';
import { projectSkillShare } from './skill-share.ts';
import type { Lookup, Project, Projection } from './types.ts';

export type ProjectedType = Exclude<EventType, 'buddy.user.registered' | 'buddy.user.updated'>;

const projections: { [K in ProjectedType]: Project<BuddyEventOf<K>> } = {
  'buddy.match.created': projectMatchCreated,
  'buddy.match.ended': projectMatchEnded,
  'buddy.event.logged': projectEventLogged,
  'buddy.event.attended': projectEventAttended,
  'buddy.skill_share.completed': projectSkillShare,
  'buddy.checkin.completed': projectCheckin,
  'buddy.feedback.submitted': projectFeedback,
  'buddy.milestone.reached': projectMilestone,
  // The import frame is kept in the raw store; it feeds no table (metrics recompute hooks onto it).
  'buddy.import.batch': () => ({ kind: 'applied', rows: {}, users: [], primaryBuddyId: null }),
};

export function isUserEvent(
  event: BuddyEvent,
): event is BuddyEventOf<'buddy.user.registered'> | BuddyEventOf<'buddy.user.updated'> {
  return event.type === 'buddy.user.registered' || event.type === 'buddy.user.updated';
}

export function project(event: BuddyEvent, lookup: Lookup): Projection {
  if (isUserEvent(event)) throw new Error(`user events are resolved, not projected: ${event.type}`);
  return (projections[event.type] as Project)(event, lookup);
}

/** The references an event needs resolved before it can be projected. */
export function referencesOf(event: BuddyEvent): { users: string[]; matches: string[] } {
  switch (event.type) {
    case 'buddy.match.created':
      return { users: [event.data.participantId, event.data.buddyId], matches: [] };
    case 'buddy.match.ended':
    case 'buddy.event.logged':
    case 'buddy.checkin.completed':
    case 'buddy.feedback.submitted':
      return { users: [], matches: [event.data.matchId] };
    case 'buddy.event.attended':
      return { users: [event.data.userId], matches: event.data.matchId ? [event.data.matchId] : [] };
    case 'buddy.skill_share.completed':
      return {
        users: [event.data.learnerId, event.data.teacherId],
        matches: event.data.matchId ? [event.data.matchId] : [],
      };
    case 'buddy.milestone.reached':
    case 'buddy.user.registered':
    case 'buddy.user.updated':
      return { users: [event.data.userId], matches: [] };
    case 'buddy.import.batch':
      return { users: [], matches: [] };
  }
}

export type { Lookup, Projection } from './types.ts';

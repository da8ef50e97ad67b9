// The journey rules, as data: an id, the event types that trigger it, a condition over the user's
// state, and the action (reach a milestone, or set a flag). Pure; evaluate.ts applies them.
import type { EventType } from '../contracts/index.ts';
import type { JourneyState } from './state.ts';

/** A milestone rule: `reachedAt` is the event time it was reached at, or null while it is not. */
export interface MilestoneRule {
  id: string;
  triggers: readonly EventType[];
  milestone: string;
  reachedAt(state: JourneyState): string | null;
}

/** A flag rule: the flag's value for the state; `expiresAt` where the flag lapses by itself. */
export interface FlagRule {
  id: string;
  triggers: readonly EventType[];
  /** Also evaluated by the periodic sweep (the rule depends on the passing of event time). */
  swept: boolean;
  flag: string;
  value(state: JourneyState): boolean;
  expiresAt?(state: JourneyState): string | null;
}

export type JourneyRule = MilestoneRule | FlagRule;

const ACTIVITY: readonly EventType[] = [
  'buddy.event.logged',
  'buddy.event.attended',
  'buddy.skill_share.completed',
  'buddy.match.created',
];
const CHECKINS: readonly EventType[] = ['buddy.checkin.completed', 'buddy.match.created'];
const MATCHES: readonly EventType[] = ['buddy.match.created', 'buddy.match.ended'];

/** The n-th (1-based) date of a sorted list, or null when there are fewer. */
export const nth = (dates: readonly string[], n: number): string | null => dates[n - 1] ?? null;

/** Reached when every condition is: at the latest of their times. */
export function allOf(...times: (string | null)[]): string | null {
  if (times.some((t) => t === null)) return null;
  return (times as string[]).reduce((a, b) => (Date.parse(b) > Date.parse(a) ? b : a));
}

/** How long a pending-feedback flag stays up before it lapses (it stops nagging). */
export const FEEDBACK_PENDING_LIFETIME_MS = 30 * 86_400_000;

export const JOURNEY_RULES: readonly JourneyRule[] = [
  {
    id: 'buddy.first_buddy_match',
    triggers: MATCHES,
    milestone: 'first_buddy_match',
    reachedAt: (s) => s.firstMatchedAt,
  },
  {
    id: 'buddy.first_meeting',
    triggers: ACTIVITY,
    milestone: 'first_meeting',
    reachedAt: (s) => nth(s.eventDates, 1),
  },
  {
    id: 'buddy.10_events',
    triggers: ACTIVITY,
    milestone: 'buddy_10_events',
    reachedAt: (s) => nth(s.eventDates, 10),
  },
  {
    id: 'buddy.skill_share_completed',
    triggers: ['buddy.skill_share.completed'],
    milestone: 'buddy_skill_share_completed',
    reachedAt: (s) => nth(s.skillShareDates, 1),
  },
  {
    id: 'buddy.template.connected',
    triggers: [...ACTIVITY, ...CHECKINS],
    milestone: 'connected',
    reachedAt: (s) => allOf(nth(s.eventDates, 3), nth(s.checkinDates, 4)),
  },
  {
    id: 'buddy.template.integrated',
    triggers: [...ACTIVITY, ...CHECKINS],
    milestone: 'integrated',
    reachedAt: (s) => allOf(nth(s.eventDates, 10), nth(s.checkinDates, 12), s.activeFor90Days),
  },
  {
    id: 'buddy.template.thriving',
    triggers: [...ACTIVITY, ...CHECKINS],
    milestone: 'thriving',
    reachedAt: (s) => allOf(nth(s.eventDates, 20), nth(s.skillShareDates, 3), s.activeFor180Days),
  },
  {
    id: 'buddy.match_active',
    triggers: MATCHES,
    swept: false,
    flag: 'buddy_match_active',
    value: (s) => s.activeMatchCount > 0,
  },
  {
    id: 'buddy.checkin_due',
    triggers: [...MATCHES, 'buddy.checkin.completed'],
    swept: true,
    flag: 'buddy_checkin_due',
    value: (s) => s.checkinDue,
  },
  {
    id: 'buddy.feedback_pending',
    triggers: [...MATCHES, 'buddy.feedback.submitted'],
    swept: true,
    flag: 'buddy_feedback_pending',
    value: (s) => s.feedbackPendingSince !== null,
    expiresAt: (s) =>
      s.feedbackPendingSince === null
        ? null
        : new Date(Date.parse(s.feedbackPendingSince) + FEEDBACK_PENDING_LIFETIME_MS).toISOString(),
  },
];

export const isFlagRule = (rule: JourneyRule): rule is FlagRule => 'flag' in rule;

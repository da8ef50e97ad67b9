import { describe, expect, it } from 'vitest';
import type { EventType } from '../../src/contracts/index.ts';
import { evaluateJourney, rulesInScope } from '../../src/journey/evaluate.ts';
import { JOURNEY_RULES, allOf, nth } from '../../src/journey/rules.ts';
import type { JourneyState } from '../../src/journey/state.ts';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000).toISOString();
const state = (over: Partial<JourneyState> = {}): JourneyState => ({
  userId: 'u1',
  matchCount: 1,
  activeMatchCount: 1,
  firstMatchedAt: day(0),
  eventDates: [],
  checkinDates: [],
  skillShareDates: [],
  activeFor90Days: null,
  activeFor180Days: null,
  checkinDue: false,
  feedbackPendingSince: null,
  ...over,
});
const milestonesOf = (s: JourneyState, now = day(400)) =>
  Object.fromEntries(
    evaluateJourney(JOURNEY_RULES, [s], { sweep: true }, now)
      .milestones.concat(
        evaluateJourney(
          JOURNEY_RULES,
          [s],
          {
            triggers: new Map([
              [
                s.userId,
                new Set([
                  'buddy.checkin.completed',
                  'buddy.event.logged',
                  'buddy.match.created',
                  'buddy.skill_share.completed',
                ] as const),
              ],
            ]),
          },
          now,
        ).milestones,
      )
      .map((m) => [m.milestone, m.reachedAt]),
  );

describe('journey rules', () => {
  it('nth and allOf: reached at the latest of the conditions, never while one is missing', () => {
    expect(nth([day(1), day(2)], 2)).toBe(day(2));
    expect(nth([day(1)], 2)).toBeNull();
    expect(allOf(day(3), day(1), day(2))).toBe(day(3));
    expect(allOf(day(3), null)).toBeNull();
  });

  it('the programme template: connected, integrated and thriving at the right moments', () => {
    const events = Array.from({ length: 20 }, (_, i) => day(1 + i * 10));
    const checkins = Array.from({ length: 12 }, (_, i) => day(2 + i * 7));
    const s = state({
      eventDates: events,
      checkinDates: checkins,
      skillShareDates: [day(5), day(6), day(7)],
      activeFor90Days: day(91),
      activeFor180Days: day(181),
    });
    expect(milestonesOf(s)).toEqual({
      first_buddy_match: day(0),
      first_meeting: day(1),
      connected: day(23), // 3rd event day 21, 4th check-in day 23
      buddy_10_events: day(91),
      integrated: day(91), // 10th event day 91, 12th check-in day 79, active from day 91
      buddy_skill_share_completed: day(5),
      thriving: day(191), // 20th event day 191
    });
    // Without 90 days of activity, no integrated.
    expect(milestonesOf({ ...s, activeFor90Days: null, activeFor180Days: null })).not.toHaveProperty(
      'integrated',
    );
  });

  it('only the rules an event type triggers are evaluated, for the user it was applied for', () => {
    const s = state({ eventDates: [day(1)] });
    const other = state({ userId: 'u2', eventDates: [day(1)], activeMatchCount: 1 });
    const outcome = evaluateJourney(
      JOURNEY_RULES,
      [s, other],
      {
        triggers: new Map<string, ReadonlySet<EventType>>([
          [s.userId, new Set(['buddy.feedback.submitted'])],
          [other.userId, new Set(['buddy.event.logged'])],
        ]),
      },
      day(2),
    );
    // u1's feedback does not evaluate u2's flags, nor u2's activity u1's milestones.
    expect(outcome.flags.map((f) => [f.userId, f.flag])).toEqual([['u1', 'buddy_feedback_pending']]);
    expect(outcome.milestones.map((m) => [m.userId, m.milestone])).toEqual([['u2', 'first_meeting']]);
    // A user the scope does not name is not evaluated at all.
    expect(rulesInScope(JOURNEY_RULES, { triggers: new Map() }, 'u3')).toEqual([]);
  });

  it('a pending-feedback flag lapses 30 days after it was raised', () => {
    const s = state({ activeMatchCount: 0, feedbackPendingSince: day(10) });
    const flag = (now: string) =>
      evaluateJourney(JOURNEY_RULES, [s], { sweep: true }, now).flags.find(
        (f) => f.flag === 'buddy_feedback_pending',
      )!;
    expect(flag(day(20))).toMatchObject({ value: true, expiresAt: day(40) });
    expect(flag(day(40)).value).toBe(false);
  });
});

// Rules x states -> the milestones reached and the flag values wanted. Pure.
import type { EventType } from '../contracts/index.ts';
import { isFlagRule, type FlagRule, type JourneyRule, type MilestoneRule } from './rules.ts';
import type { JourneyState } from './state.ts';

export interface ReachedMilestone {
  userId: string;
  milestone: string;
  reachedAt: string;
  rule: string;
}

export interface WantedFlag {
  userId: string;
  flag: string;
  value: boolean;
  rule: string;
  expiresAt: string | null;
}

export interface JourneyOutcome {
  milestones: ReachedMilestone[];
  flags: WantedFlag[];
}

/**
 * Evaluates the rules triggered by `triggers` (or, with `sweep`, the swept flag rules) for each state.
 * A flag whose expiry has passed on the event-time clock `now` is false.
 */
export function evaluateJourney(
  rules: readonly JourneyRule[],
  states: readonly JourneyState[],
  scope: { triggers: ReadonlySet<EventType> } | { sweep: true },
  now: string,
): JourneyOutcome {
  const selected = rules.filter((rule) =>
    'sweep' in scope ? isFlagRule(rule) && rule.swept : rule.triggers.some((t) => scope.triggers.has(t)),
  );
  const outcome: JourneyOutcome = { milestones: [], flags: [] };
  for (const state of states) {
    for (const rule of selected) {
      if (isFlagRule(rule)) outcome.flags.push(wantedFlag(rule, state, now));
      else {
        const reached = reachedMilestone(rule, state);
        if (reached) outcome.milestones.push(reached);
      }
    }
  }
  return outcome;
}

function reachedMilestone(rule: MilestoneRule, state: JourneyState): ReachedMilestone | null {
  const reachedAt = rule.reachedAt(state);
  return reachedAt === null
    ? null
    : { userId: state.userId, milestone: rule.milestone, reachedAt, rule: rule.id };
}

function wantedFlag(rule: FlagRule, state: JourneyState, now: string): WantedFlag {
  const expiresAt = rule.expiresAt?.(state) ?? null;
  const expired = expiresAt !== null && Date.parse(expiresAt) <= Date.parse(now);
  return {
    userId: state.userId,
    flag: rule.flag,
    value: rule.value(state) && !expired,
    rule: rule.id,
    expiresAt,
  };
}

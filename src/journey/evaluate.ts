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
 * What is evaluated: for each user, the rules triggered by the event types applied for that user (a
 * user's state changes only through events that touch them; what changes with the passing of event time
 * alone is the swept flags'), or, with `sweep`, the swept flag rules for every user.
 */
export type JourneyScope = { triggers: ReadonlyMap<string, ReadonlySet<EventType>> } | { sweep: true };

/** The rules `scope` evaluates for `userId`. */
export function rulesInScope(
  rules: readonly JourneyRule[],
  scope: JourneyScope,
  userId: string,
): JourneyRule[] {
  if ('sweep' in scope) return rules.filter((rule) => isFlagRule(rule) && rule.swept);
  const types = scope.triggers.get(userId);
  return types ? rules.filter((rule) => rule.triggers.some((t) => types.has(t))) : [];
}

/**
 * Evaluates the rules in `scope` for each state. A flag whose expiry has passed on the event-time clock
 * `now` is false.
 */
export function evaluateJourney(
  rules: readonly JourneyRule[],
  states: readonly JourneyState[],
  scope: JourneyScope,
  now: string,
): JourneyOutcome {
  const outcome: JourneyOutcome = { milestones: [], flags: [] };
  for (const state of states) {
    for (const rule of rulesInScope(rules, scope, state.userId)) {
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

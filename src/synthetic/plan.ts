// The cast and calendar of a synthetic programme: who registers when, with which profile changes, and
// which matches run from when to when. Small (one object per user and match); the events are produced
// week by week from it (timeline.ts).
import type { BuddyRole, MatchEndReason } from '../contracts/index.ts';
import {
  BUDDY_NAMES,
  CITIES,
  EMAIL_DOMAINS,
  INTERESTS,
  LANGUAGE_PREFERENCES,
  PARTICIPANT_NAMES,
  asciiName,
} from './content.ts';
import type { Random } from './random.ts';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const WEEK = 7 * DAY;

export interface Profile {
  email: string;
  firstName?: string;
  lastName?: string;
  role: BuddyRole;
  joinedAt: number;
  languagePreference?: string;
  interests?: string[];
  location?: string;
}

export interface ProfileChange {
  /** Envelope time of the update. */
  at: number;
  /** When it is published: later than `at` for late (stale) updates. */
  publishAt: number;
  profile: Profile;
}

export interface UserPlan {
  index: number;
  id: string;
  role: BuddyRole;
  companyId: string;
  registeredAt: number;
  profile: Profile;
  updates: ProfileChange[];
  matches: MatchPlan[];
}

export interface MatchPlan {
  id: string;
  participant: UserPlan;
  buddy: UserPlan;
  companyId: string;
  matchedAt: number;
  /** Undefined while the match is still running at the end of the programme. */
  endedAt?: number;
  endReason?: MatchEndReason;
  correlationId: string;
  language: string;
}

export interface PlanOptions {
  participants: number;
  buddies: number;
  start: number;
  weeks: number;
  companyIds: string[];
}

export interface Plan {
  start: number;
  end: number;
  users: UserPlan[];
  participants: UserPlan[];
  buddies: UserPlan[];
  matches: MatchPlan[];
}

/** Whole seconds: producers rarely send sub-second precision and ties are easier to reason about. */
export function atSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/** A time of day people actually meet (09:00-21:00 UTC) on a random day of [from, to). */
export function daytime(rng: Random, from: number, to: number): number {
  const day = Math.floor(from / DAY) * DAY + rng.int(0, Math.max(0, Math.floor((to - from) / DAY))) * DAY;
  const t = day + rng.int(9 * 60, 21 * 60) * MINUTE + rng.int(0, 59) * 1000;
  return atSecond(Math.min(Math.max(t, from), to - 1000));
}

const END_REASONS: readonly (readonly [MatchEndReason, number])[] = [
  ['participant_request', 5],
  ['buddy_request', 4],
  ['mutual_agreement', 4],
  ['inactivity', 5],
  ['violation', 1],
  ['program_ended', 2],
  ['other', 2],
];

function makeUser(
  rng: Random,
  index: number,
  role: BuddyRole,
  registeredAt: number,
  companyId: string,
): UserPlan {
  const names = role === 'participant' ? PARTICIPANT_NAMES : BUDDY_NAMES;
  const first = rng.pick(names.first);
  const last = rng.pick(names.last);
  let email = `${asciiName(first)}.${asciiName(last)}${index}@${rng.pick(EMAIL_DOMAINS)}`;
  // Producers do not normalise case: the pipeline lower-cases.
  if (rng.chance(0.1))
    email = `${first.normalize('NFD').replace(/[^A-Za-z]/g, '')}.${asciiName(last)}${index}@Example.org`;
  const profile: Profile = {
    email,
    role,
    joinedAt: atSecond(registeredAt - rng.int(0, 3) * DAY - rng.int(0, 3600) * 1000),
  };
  if (rng.chance(0.97)) profile.firstName = first;
  if (rng.chance(0.95)) profile.lastName = last;
  if (rng.chance(0.8)) profile.languagePreference = rng.pick(LANGUAGE_PREFERENCES);
  if (rng.chance(0.7)) profile.interests = rng.sample(INTERESTS, rng.int(1, 4));
  if (rng.chance(0.85)) profile.location = rng.pick(CITIES);
  return {
    index,
    id: rng.uuid(),
    role,
    companyId,
    registeredAt,
    profile,
    updates: [],
    matches: [],
  };
}

function planUpdates(rng: Random, user: UserPlan, end: number): void {
  // Some profiles change later (moved, new surname, new e-mail, new interests).
  let current = user.profile;
  let at = user.registeredAt;
  const count = rng.weighted([
    [0, 70],
    [1, 22],
    [2, 8],
  ] as const);
  for (let i = 0; i < count; i++) {
    at = atSecond(at + rng.int(2, 30) * DAY + rng.int(0, 86_399) * 1000);
    if (at >= end) break;
    const next: Profile = { ...current };
    const change = rng.weighted([
      ['location', 4],
      ['lastName', 2],
      ['email', 2],
      ['interests', 2],
      ['language', 1],
    ] as const);
    if (change === 'location') next.location = rng.pick(CITIES);
    if (change === 'lastName')
      next.lastName = rng.pick(user.role === 'participant' ? BUDDY_NAMES.last : PARTICIPANT_NAMES.last);
    if (change === 'email')
      next.email = `${asciiName(next.firstName ?? 'user')}.${user.index}.${i + 2}@${rng.pick(EMAIL_DOMAINS)}`;
    if (change === 'interests') next.interests = rng.sample(INTERESTS, rng.int(1, 5));
    if (change === 'language') next.languagePreference = rng.pick(LANGUAGE_PREFERENCES);
    user.updates.push({ at, publishAt: at, profile: next });
    current = next;
  }
  // A few updates were made offline and arrive late: their event time is older than the registration,
  // so they must change nothing.
  if (rng.chance(0.03)) {
    const publishAt = atSecond(user.registeredAt + rng.int(1, 10) * DAY);
    if (publishAt < end) {
      user.updates.push({
        at: atSecond(user.registeredAt - rng.int(1, 20) * DAY),
        publishAt,
        profile: { ...user.profile, location: rng.pick(CITIES), lastName: rng.pick(PARTICIPANT_NAMES.last) },
      });
    }
  }
}

function activeMatchesAt(user: UserPlan, at: number): number {
  return user.matches.filter((m) => m.matchedAt <= at && (m.endedAt === undefined || m.endedAt > at)).length;
}

/** The eligible buddy (registered a day before) with the fewest running matches among a few candidates. */
function chooseBuddy(rng: Random, buddiesByRegistration: UserPlan[], at: number): UserPlan | undefined {
  let eligible = 0;
  while (eligible < buddiesByRegistration.length && buddiesByRegistration[eligible]!.registeredAt < at - DAY)
    eligible++;
  if (eligible === 0) return undefined;
  let best: UserPlan | undefined;
  let bestLoad = Infinity;
  for (let i = 0; i < 6; i++) {
    const candidate = buddiesByRegistration[rng.int(0, eligible - 1)]!;
    const load = activeMatchesAt(candidate, at);
    if (load < bestLoad) [best, bestLoad] = [candidate, load];
  }
  return best;
}

function addMatch(
  rng: Random,
  plan: Plan,
  participant: UserPlan,
  buddy: UserPlan,
  matchedAt: number,
): MatchPlan {
  const match: MatchPlan = {
    id: rng.uuid(),
    participant,
    buddy,
    companyId: participant.companyId,
    matchedAt,
    correlationId: rng.uuid(),
    language: rng.pick(['no', 'en', 'uk']),
  };
  const lengthDays = rng.int(14, 100);
  const endedAt = atSecond(matchedAt + lengthDays * DAY + rng.int(0, 8 * 3600) * 1000);
  if (endedAt < plan.end - 2 * DAY) {
    match.endedAt = endedAt;
    match.endReason = lengthDays >= 42 && rng.chance(0.7) ? 'completed' : rng.weighted(END_REASONS);
  }
  participant.matches.push(match);
  buddy.matches.push(match);
  plan.matches.push(match);
  return match;
}

export function makePlan(rng: Random, options: PlanOptions): Plan {
  const { start, weeks, companyIds } = options;
  const end = start + weeks * WEEK;
  const span = end - start;
  const plan: Plan = { start, end, users: [], participants: [], buddies: [], matches: [] };
  let index = 0;
  for (let i = 0; i < options.buddies; i++) {
    const at = atSecond(start + rng.next() * span * 0.3);
    plan.buddies.push(makeUser(rng, index++, 'buddy', at, rng.pick(companyIds)));
  }
  for (let i = 0; i < options.participants; i++) {
    const at = atSecond(start + rng.next() * span * 0.6);
    plan.participants.push(makeUser(rng, index++, 'participant', at, rng.pick(companyIds)));
  }
  plan.users = [...plan.buddies, ...plan.participants];
  for (const user of plan.users) planUpdates(rng, user, end);

  const buddiesByRegistration = [...plan.buddies].sort((a, b) => a.registeredAt - b.registeredAt);
  const byRegistration = [...plan.participants].sort((a, b) => a.registeredAt - b.registeredAt);
  for (const participant of byRegistration) {
    // Matched within two weeks of registering (a few wait longer or are never matched).
    if (rng.chance(0.04)) continue;
    const matchedAt = atSecond(participant.registeredAt + rng.int(1, 14) * DAY + rng.int(0, 8 * 3600) * 1000);
    if (matchedAt >= end - DAY) continue;
    const buddy = chooseBuddy(rng, buddiesByRegistration, matchedAt);
    if (!buddy) continue;
    const first = addMatch(rng, plan, participant, buddy, matchedAt);
    // Some get a second buddy after the first match ends.
    if (first.endedAt !== undefined && first.endReason !== 'violation' && rng.chance(0.45)) {
      const again = atSecond(first.endedAt + rng.int(3, 21) * DAY);
      const next = again < end - 7 * DAY ? chooseBuddy(rng, buddiesByRegistration, again) : undefined;
      if (next && next !== buddy) addMatch(rng, plan, participant, next, again);
    }
  }
  plan.matches.sort((a, b) => a.matchedAt - b.matchedAt);
  return plan;
}

// Week by week, the canonical events of a planned programme in natural publish order (registrations
// before matches, matches before their activities). Out-of-order, duplicates and wire formats are
// applied afterwards (generate.ts, wire.ts).
import type { BuddyEvent, BuddyEventOf, EventDataMap, EventMetadata, EventType } from '../contracts/index.ts';
import { FORMAL_EVENTS, MILESTONES } from './content.ts';
import {
  checkinData,
  eventAttendedData,
  eventLoggedData,
  feedbackData,
  iso,
  matchCreatedData,
  matchEndedData,
  milestoneData,
  orphanEvent,
  profileData,
  skillShareData,
  type MilestoneTemplate,
} from './payloads.ts';
import {
  DAY,
  HOUR,
  MINUTE,
  WEEK,
  atSecond,
  daytime,
  type MatchPlan,
  type Plan,
  type UserPlan,
} from './plan.ts';
import type { Random } from './random.ts';

export interface PlannedEvent {
  event: BuddyEvent;
  /** The Kafka key: the Buddy id of the event's primary user. */
  key: string | null;
  publishAt: number;
  /** The event that creates this one's reference (its match, its user), when there is one. */
  parentId?: string;
}

interface UserState {
  registrationId?: string;
  /** Envelope times already used by this user's profile events (kept distinct: no ties to break). */
  profileTimes: Set<number>;
  logged: number;
  checkins: number;
  attended: number;
  skills: number;
  milestones: Set<number>;
}

interface EmitContext {
  companyId?: string;
  correlationId?: string;
  causationId?: string | undefined;
  parentId?: string | undefined;
  /** The envelope time is `at` itself (no producer lag). */
  exactTime?: boolean;
  /** Published later than the envelope time says (a late or backfilled report). */
  publishAt?: number;
}

export class Timeline {
  private readonly buckets = new Map<number, PlannedEvent[]>();
  private readonly users = new Map<string, UserState>();
  private readonly created = new Map<string, string>();
  private readonly byWeek: {
    registrations: UserPlan[][];
    updates: { user: UserPlan; index: number }[][];
    matches: MatchPlan[][];
    ends: MatchPlan[][];
  };

  constructor(
    private readonly rng: Random,
    private readonly plan: Plan,
    private readonly orphans = 0,
  ) {
    const weeks = this.weekCount;
    const empty = <T>() => Array.from({ length: weeks }, () => [] as T[]);
    this.byWeek = { registrations: empty(), updates: empty(), matches: empty(), ends: empty() };
    for (const user of plan.users) {
      this.byWeek.registrations[this.weekOf(user.registeredAt)]!.push(user);
      user.updates.forEach((u, index) =>
        this.byWeek.updates[this.weekOf(u.publishAt)]!.push({ user, index }),
      );
      this.users.set(user.id, {
        profileTimes: new Set(),
        logged: 0,
        checkins: 0,
        attended: 0,
        skills: 0,
        milestones: new Set(),
      });
    }
    for (const match of plan.matches) {
      this.byWeek.matches[this.weekOf(match.matchedAt)]!.push(match);
      if (match.endedAt !== undefined) this.byWeek.ends[this.weekOf(match.endedAt)]!.push(match);
    }
  }

  get weekCount(): number {
    return Math.round((this.plan.end - this.plan.start) / WEEK);
  }

  /** Each week's events, sorted by publish time; events published after the last week come last. */
  *weeks(): Generator<PlannedEvent[]> {
    for (let week = 0; week < this.weekCount; week++) {
      this.generateWeek(week);
      yield this.take(week);
    }
    const rest = [...this.buckets.keys()].sort((a, b) => a - b).flatMap((week) => this.take(week));
    if (rest.length > 0) yield rest;
  }

  private take(week: number): PlannedEvent[] {
    const events = this.buckets.get(week) ?? [];
    this.buckets.delete(week);
    return events.sort((a, b) => a.publishAt - b.publishAt);
  }

  private weekOf(ms: number): number {
    return Math.min(Math.max(Math.floor((ms - this.plan.start) / WEEK), 0), this.weekCount - 1);
  }

  private generateWeek(week: number): void {
    const from = this.plan.start + week * WEEK;
    const to = from + WEEK;
    for (const user of this.byWeek.registrations[week]!) this.register(user);
    for (const { user, index } of this.byWeek.updates[week]!) this.update(user, index);
    for (const match of this.byWeek.matches[week]!) this.createMatch(match);
    for (const match of this.plan.matches) {
      if (match.matchedAt >= to) break;
      const until = Math.min(to, match.endedAt ?? this.plan.end);
      const since = Math.max(from, match.matchedAt + 2 * HOUR);
      if (since < until - HOUR) this.matchWeek(match, since, until);
    }
    for (const match of this.byWeek.ends[week]!) this.endMatch(match);
    const formalEvents = this.rng.int(1, 2);
    for (let i = 0; i < formalEvents; i++) this.formalEvent(from, to);
    const orphanShare = this.orphans / this.weekCount;
    const orphansThisWeek = Math.floor(orphanShare) + (this.rng.chance(orphanShare % 1) ? 1 : 0);
    for (let i = 0; i < orphansThisWeek; i++) this.orphan(daytime(this.rng, from, to));
  }

  // ---- emitting ----

  private emit<K extends EventType>(
    type: K,
    at: number,
    data: EventDataMap[K],
    key: string | null,
    context: EmitContext,
  ): BuddyEventOf<K> {
    // Producers publish a little after the fact, unless the envelope time is pinned.
    const timestamp = context.exactTime ? atSecond(at) : atSecond(at + this.rng.int(0, 15 * 60) * 1000);
    const event = { id: this.rng.uuid(), type, version: 'v1', timestamp: iso(timestamp) } as BuddyEventOf<K>;
    if (context.correlationId && this.rng.chance(0.5)) event.correlationId = context.correlationId;
    if (context.causationId && this.rng.chance(0.2)) event.causationId = context.causationId;
    if (context.companyId && this.rng.chance(0.97)) {
      const metadata: EventMetadata = { companyId: context.companyId };
      if (this.rng.chance(0.1)) metadata.source = 'buddy-app';
      event.metadata = metadata;
    }
    event.data = data;
    const planned: PlannedEvent = {
      event: event as BuddyEvent,
      key,
      publishAt: context.publishAt ?? timestamp,
    };
    if (context.parentId) planned.parentId = context.parentId;
    const week = Math.floor((planned.publishAt - this.plan.start) / WEEK);
    const bucket = this.buckets.get(week);
    if (bucket) bucket.push(planned);
    else this.buckets.set(week, [planned]);
    return event;
  }

  private state(user: UserPlan): UserState {
    return this.users.get(user.id)!;
  }

  /** Profile events of one user never share an envelope time, so "latest wins" has no ties. */
  private distinctProfileTime(user: UserPlan, at: number): number {
    const times = this.state(user).profileTimes;
    let t = at;
    while (times.has(t)) t += 1000;
    times.add(t);
    return t;
  }

  private register(user: UserPlan): void {
    const at = this.distinctProfileTime(user, user.registeredAt);
    const event = this.emit('buddy.user.registered', at, profileData(user, user.profile), user.id, {
      companyId: user.companyId,
      exactTime: true,
    });
    this.state(user).registrationId = event.id;
    if (this.rng.chance(0.5)) this.milestone(user, MILESTONES.onboarding, at + this.rng.int(1, 72) * HOUR);
  }

  private update(user: UserPlan, index: number): void {
    const change = user.updates[index]!;
    const at = this.distinctProfileTime(user, change.at);
    this.emit('buddy.user.updated', at, profileData(user, change.profile), user.id, {
      companyId: user.companyId,
      exactTime: true,
      publishAt: Math.max(change.publishAt, at),
      parentId: this.state(user).registrationId,
    });
  }

  private createMatch(match: MatchPlan, at = match.matchedAt): void {
    const parent = this.rng.chance(0.5) ? match.participant : match.buddy;
    const event = this.emit(
      'buddy.match.created',
      at,
      matchCreatedData(this.rng, match),
      match.participant.id,
      {
        companyId: match.companyId,
        correlationId: match.correlationId,
        parentId: this.state(parent).registrationId,
      },
    );
    if (!this.created.has(match.id)) this.created.set(match.id, event.id);
  }

  private matchContext(match: MatchPlan) {
    return {
      companyId: match.companyId,
      correlationId: match.correlationId,
      causationId: this.created.get(match.id),
      parentId: this.created.get(match.id),
    };
  }

  private matchWeek(match: MatchPlan, from: number, to: number): void {
    const rng = this.rng;
    const context = this.matchContext(match);
    const people = [match.participant, match.buddy];
    const logged = rng.weighted([
      [0, 25],
      [1, 50],
      [2, 20],
      [3, 5],
    ] as const);
    for (let i = 0; i < logged; i++) {
      const at = daytime(rng, from, to);
      const data = eventLoggedData(rng, match, at);
      this.emit('buddy.event.logged', at + rng.int(5, 180) * MINUTE, data, match.participant.id, context);
      for (const user of people) {
        const state = this.state(user);
        state.logged++;
        if (state.logged === 1) this.milestone(user, MILESTONES.firstMeeting, at + HOUR, match);
        if (state.logged >= 3 && state.checkins >= 4)
          this.milestone(user, MILESTONES.connected, at + HOUR, match);
        if (state.logged >= 10 && state.checkins >= 12 && at - match.matchedAt > 60 * DAY) {
          this.milestone(user, MILESTONES.integrated, at + HOUR, match);
        }
      }
    }
    if (rng.chance(0.75)) {
      const at = daytime(rng, from, to);
      this.emit('buddy.checkin.completed', at, checkinData(rng, match, at), match.participant.id, context);
      for (const user of people) this.state(user).checkins++;
    }
    // Both sides rate the match about once a month.
    const ageWeeks = Math.floor((from - match.matchedAt) / WEEK);
    if (ageWeeks % 4 === 3) {
      if (rng.chance(0.6)) this.feedback(match, 'participant', daytime(rng, from, to));
      if (rng.chance(0.5)) this.feedback(match, 'buddy', daytime(rng, from, to));
    }
    if (rng.chance(0.15)) {
      const at = daytime(rng, from, to);
      this.emit(
        'buddy.skill_share.completed',
        at,
        skillShareData(rng, match, at),
        match.participant.id,
        context,
      );
      for (const user of people) {
        if (++this.state(user).skills === 1) this.milestone(user, MILESTONES.firstSkill, at + HOUR, match);
      }
    }
  }

  private feedback(match: MatchPlan, fromRole: 'participant' | 'buddy', at: number): void {
    const data = feedbackData(this.rng, match, fromRole, at);
    this.emit('buddy.feedback.submitted', at, data, match.participant.id, this.matchContext(match));
  }

  private endMatch(match: MatchPlan): void {
    const rng = this.rng;
    const endedAt = match.endedAt!;
    const context = this.matchContext(match);
    const key = match.participant.id;
    this.emit(
      'buddy.match.ended',
      endedAt,
      matchEndedData(rng, match, endedAt, match.endReason!),
      key,
      context,
    );
    // A coordinator sometimes closes a match a second time: a backdated correction (its earlier endedAt
    // wins) or a later, redundant close (ignored).
    if (rng.chance(0.04)) {
      const at = atSecond(
        rng.chance(0.5)
          ? Math.max(match.matchedAt + DAY, endedAt - rng.int(1, 10) * DAY)
          : endedAt + rng.int(1, 10) * DAY,
      );
      const reason = rng.pick(['program_ended', 'other', 'inactivity'] as const);
      this.emit(
        'buddy.match.ended',
        endedAt + rng.int(1, 5) * DAY,
        matchEndedData(rng, match, at, reason),
        key,
        context,
      );
    }
    // A producer re-issues the creation after the end (a new event id): it must not reopen the match.
    if (rng.chance(0.05)) this.createMatch(match, endedAt + rng.int(1, 5) * DAY);
    // Closing feedback comes after the end.
    if (rng.chance(0.6)) this.feedback(match, 'participant', endedAt + rng.int(1, 72) * HOUR);
    if (rng.chance(0.5)) this.feedback(match, 'buddy', endedAt + rng.int(1, 72) * HOUR);
    if (match.endReason === 'completed') {
      this.milestone(match.participant, MILESTONES.completion, endedAt + HOUR, match);
    }
  }

  /** A formal event: some pairs attend it together (mostly reported with their match), some people alone. */
  private formalEvent(from: number, to: number): void {
    const rng = this.rng;
    const at = daytime(rng, from, to);
    const formal = {
      eventId: rng.uuid(),
      attendeeCount: rng.int(8, 120),
      at,
      template: rng.pick(FORMAL_EVENTS),
    };
    const attend = (user: UserPlan, match: MatchPlan | undefined, publishAt: number) => {
      const context = match
        ? this.matchContext(match)
        : { companyId: user.companyId, parentId: this.state(user).registrationId };
      this.emit('buddy.event.attended', publishAt, eventAttendedData(formal, user, match), user.id, context);
      if (++this.state(user).attended === 3)
        this.milestone(user, MILESTONES.eventGoer, publishAt + HOUR, match);
    };
    for (const match of this.plan.matches) {
      if (match.matchedAt >= at - HOUR) break;
      if ((match.endedAt ?? Infinity) <= at || !rng.chance(0.1)) continue;
      const withMatch = rng.chance(0.75) ? match : undefined;
      attend(match.participant, withMatch, at + rng.int(0, 48) * HOUR);
      if (rng.chance(0.6)) attend(match.buddy, withMatch, at + rng.int(0, 48) * HOUR);
    }
    const registered = this.plan.users.filter((u) => u.registeredAt < at - HOUR);
    for (const user of rng.sample(registered, rng.int(0, 4)))
      attend(user, undefined, at + rng.int(0, 48) * HOUR);
  }

  private milestone(
    user: UserPlan,
    template: MilestoneTemplate,
    at: number,
    match?: MatchPlan,
    again?: { publishAt: number },
  ): void {
    const rng = this.rng;
    const state = this.state(user);
    if (!again && state.milestones.has(template.id)) return;
    state.milestones.add(template.id);
    const reachedAt = atSecond(at);
    const data = milestoneData(rng, user, template, reachedAt, match, !again);
    const context: EmitContext = { companyId: user.companyId, parentId: state.registrationId };
    if (again) Object.assign(context, { exactTime: true, publishAt: again.publishAt });
    this.emit('buddy.milestone.reached', again ? again.publishAt : reachedAt, data, user.id, context);
    // The app sometimes reports a milestone again: later (ignored) or backdated (the earlier one wins).
    if (!again && rng.chance(0.05)) {
      const next = rng.chance(0.4)
        ? Math.max(user.registeredAt, reachedAt - rng.int(1, 5) * DAY)
        : reachedAt + rng.int(1, 20) * DAY;
      const publishAt = atSecond(Math.max(next, reachedAt) + rng.int(1, 10) * DAY);
      this.milestone(user, template, next, match, { publishAt });
    }
  }

  private orphan(at: number): void {
    const orphan = orphanEvent(this.rng, at);
    this.emit(orphan.type, at, orphan.data as EventDataMap[typeof orphan.type], orphan.key, {});
  }
}

// The test oracle: from the distinct valid events, the final database state docs/projections.md says
// buddy-stream must converge to, whatever the arrival order. Plain maps and loops on purpose, and
// independent of the pipeline (only the derived-id function is shared): if both were wrong the same
// way, the tests could not see it.
//
// Users are identified by their Buddy id everywhere (the database holds CSR ids; snapshot.ts maps them
// back), timestamps are UTC ISO strings with milliseconds, decimals are numbers.
import type { BuddyEvent, BuddyEventOf } from '../../src/contracts/index.ts';
import { formalEventRowId } from '../../src/pipeline/ids.ts';

export interface UserRow {
  email: string;
  first_name: string | null;
  last_name: string | null;
  role: 'beneficiary' | 'volunteer';
}

/** The Buddy keys of `users.journey_flags` (other keys are not buddy-stream's). */
export interface JourneyFlagsRow {
  is_buddy_participant: boolean;
  is_buddy_volunteer: boolean;
  buddy_match_count: number;
  last_buddy_activity: string | null;
}

export interface MatchRow {
  participant_id: string;
  buddy_id: string;
  matched_at: string;
  status: 'active' | 'ended';
  ended_at: string | null;
  end_reason: string | null;
  company_id: string | null;
}

export interface BuddyEventRow {
  match_id: string;
  event_type: string | null;
  event_date: string | null;
  description: string | null;
  location: string | null;
}

export interface CheckinRow {
  match_id: string;
  checkin_date: string;
  mood: string | null;
  notes: string | null;
}

export interface FeedbackRow {
  match_id: string;
  from_role: string;
  rating: number;
  feedback_text: string | null;
  submitted_at: string;
}

export interface KintellSessionRow {
  external_session_id: string | null;
  session_type: string;
  participant_id: string;
  volunteer_id: string;
  scheduled_at: string | null;
  completed_at: string | null;
  duration_minutes: number | null;
  rating: number | null;
  feedback_text: string | null;
  topics: unknown;
}

export interface MilestoneRow {
  user_id: string;
  milestone: string;
  reached_at: string;
  triggered_by_rule: string | null;
}

export interface EnrollmentRow {
  program_type: string;
  enrolled_at: string;
  status: 'active' | 'completed' | 'dropped';
  completed_at: string | null;
}

export interface RawEventRow {
  event_type: string;
  user_id: string | null;
  timestamp: string;
  correlation_id: string | null;
  company_id: string | null;
  /** processed_at IS NOT NULL: false while the event is parked. */
  processed: boolean;
}

export interface ParkedRow {
  event_type: string;
  waiting_for_kind: 'user' | 'match';
  waiting_for_ref: string;
}

export interface BuddyState {
  /** By Buddy user id. */
  users: Record<string, UserRow>;
  /** By Buddy user id. */
  journey_flags: Record<string, JourneyFlagsRow>;
  buddy_matches: Record<string, MatchRow>;
  buddy_events: Record<string, BuddyEventRow>;
  buddy_checkins: Record<string, CheckinRow>;
  buddy_feedback: Record<string, FeedbackRow>;
  kintell_sessions: Record<string, KintellSessionRow>;
  /** By `${buddyUserId} ${milestone}`. */
  journey_milestones: Record<string, MilestoneRow>;
  /** By Buddy user id (program_type 'buddy' only). */
  program_enrollments: Record<string, EnrollmentRow>;
  /** The raw event store, by event id. */
  buddy_system_events: Record<string, RawEventRow>;
  /** Events that can never be applied (their reference never arrives), by event id. */
  parked: Record<string, ParkedRow>;
}

// ---------- small helpers ----------

/** Any ISO-8601 date-time (any offset) as UTC with milliseconds. */
export function utc(value: string): string {
  return new Date(value).toISOString();
}

/** Ids stored in uuid columns come back lower-case from Postgres. */
function uuidColumn(value: string): string {
  return value.toLowerCase();
}

/** What a numeric(p, 2) column stores: rounded half away from zero to 2 decimals. */
export function numeric2(value: number): number {
  const scaled = Math.abs(value) * 100 * (1 + Number.EPSILON);
  return (Math.sign(value) * Math.round(scaled)) / 100;
}

/** Event-time order: earlier timestamp first, then smaller id (a deterministic tie-break). */
function byEventTime(a: BuddyEvent, b: BuddyEvent): number {
  const ta = Date.parse(a.timestamp);
  const tb = Date.parse(b.timestamp);
  if (ta !== tb) return ta - tb;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

type Of<K extends BuddyEvent['type']> = BuddyEventOf<K>;

const CSR_ROLE = { participant: 'beneficiary', buddy: 'volunteer' } as const;

function emptyState(): BuddyState {
  return {
    users: {},
    journey_flags: {},
    buddy_matches: {},
    buddy_events: {},
    buddy_checkins: {},
    buddy_feedback: {},
    kintell_sessions: {},
    journey_milestones: {},
    program_enrollments: {},
    buddy_system_events: {},
    parked: {},
  };
}

// ---------- the model ----------

/**
 * The expected final state after every event in `events` has been consumed (any order, any number of
 * re-deliveries): duplicates by id are ignored, so the generator's record stream can be passed too.
 */
export function computeExpected(events: readonly BuddyEvent[]): BuddyState {
  const state = emptyState();

  // 1. Each event once per id, in event-time order (so "first" and "latest" below mean event time).
  const seen = new Set<string>();
  const distinct: BuddyEvent[] = [];
  for (const event of events) {
    const id = uuidColumn(event.id);
    if (seen.has(id)) continue;
    seen.add(id);
    distinct.push(event);
  }
  distinct.sort(byEventTime);

  // 2. Users: a Buddy id exists once any registration for it exists; the profile is the one of the
  //    latest profile event (registered or updated) by event time.
  const registered = new Set<string>();
  for (const e of distinct) if (e.type === 'buddy.user.registered') registered.add(e.data.userId);
  const profileOf = new Map<string, Of<'buddy.user.registered'> | Of<'buddy.user.updated'>>();
  for (const e of distinct) {
    if (e.type !== 'buddy.user.registered' && e.type !== 'buddy.user.updated') continue;
    if (!registered.has(e.data.userId)) continue;
    profileOf.set(e.data.userId, e); // sorted ascending: the last one set is the latest
  }
  for (const [userId, e] of profileOf) {
    state.users[userId] = {
      email: e.data.email.trim().toLowerCase(),
      first_name: e.data.firstName ?? null,
      last_name: e.data.lastName ?? null,
      role: CSR_ROLE[e.data.role],
    };
  }

  // 3. Matches: created once both people are registered; the first applicable creation by event
  //    time fills the columns. Later creations (re-sends) change nothing and never reopen a match.
  const matchCreatedBy = new Map<string, Of<'buddy.match.created'>>();
  for (const e of distinct) {
    if (e.type !== 'buddy.match.created') continue;
    const matchId = uuidColumn(e.data.matchId);
    if (matchCreatedBy.has(matchId)) continue;
    if (!registered.has(e.data.participantId) || !registered.has(e.data.buddyId)) continue;
    matchCreatedBy.set(matchId, e);
    state.buddy_matches[matchId] = {
      participant_id: e.data.participantId,
      buddy_id: e.data.buddyId,
      matched_at: utc(e.data.matchedAt),
      status: 'active',
      ended_at: null,
      end_reason: null,
      company_id: e.metadata?.companyId ? uuidColumn(e.metadata.companyId) : null,
    };
  }
  const matchExists = (matchId: string) => matchCreatedBy.has(uuidColumn(matchId));

  // 4. Ends: the earliest endedAt wins (equal times: the smaller reason, so any order converges).
  for (const e of distinct) {
    if (e.type !== 'buddy.match.ended' || !matchExists(e.data.matchId)) continue;
    const match = state.buddy_matches[uuidColumn(e.data.matchId)]!;
    const endedAt = utc(e.data.endedAt);
    const earlier =
      match.ended_at === null ||
      Date.parse(endedAt) < Date.parse(match.ended_at) ||
      (endedAt === match.ended_at && e.data.reason < (match.end_reason ?? ''));
    if (earlier) {
      match.status = 'ended';
      match.ended_at = endedAt;
      match.end_reason = e.data.reason;
    }
  }

  // 5. What each event waits for (its first missing reference, in the order the catalog lists them).
  const waitingFor = (e: BuddyEvent): { kind: 'user' | 'match'; ref: string } | null => {
    const user = (id: string) => (registered.has(id) ? null : { kind: 'user' as const, ref: id });
    const match = (id: string) => (matchExists(id) ? null : { kind: 'match' as const, ref: id });
    switch (e.type) {
      case 'buddy.user.registered':
      case 'buddy.import.batch':
        return null;
      case 'buddy.user.updated':
      case 'buddy.milestone.reached':
        return user(e.data.userId);
      case 'buddy.match.created':
        return user(e.data.participantId) ?? user(e.data.buddyId);
      case 'buddy.match.ended':
      case 'buddy.event.logged':
      case 'buddy.checkin.completed':
      case 'buddy.feedback.submitted':
        return match(e.data.matchId);
      case 'buddy.event.attended':
        return user(e.data.userId) ?? (e.data.matchId ? match(e.data.matchId) : null);
      case 'buddy.skill_share.completed': {
        const videoCall = e.data.format === 'online' && e.data.matchId !== undefined;
        return (
          user(e.data.learnerId) ?? user(e.data.teacherId) ?? (videoCall ? match(e.data.matchId!) : null)
        );
      }
    }
  };

  // 6. Activities, milestones; the raw store; last activity per user.
  const lastActivity = new Map<string, string>();
  const involve = (userId: string, at: string) => {
    if (registered.has(userId)) lastActivity.set(userId, later(lastActivity.get(userId) ?? null, at)!);
  };
  /** People of a match that exists (its participant and buddy, as Buddy ids). */
  const peopleOf = (matchId: string | undefined): string[] => {
    if (matchId === undefined || !matchExists(matchId)) return [];
    const m = state.buddy_matches[uuidColumn(matchId)]!;
    return [m.participant_id, m.buddy_id];
  };
  const putOnce = <T>(table: Record<string, T>, id: string, row: T) => {
    // ON CONFLICT (id) DO NOTHING, in event-time order: the earliest event's row stays.
    if (!(id in table)) table[id] = row;
  };

  for (const e of distinct) {
    const timestamp = utc(e.timestamp);
    const wait = waitingFor(e);
    const processed = wait === null;
    if (wait)
      state.parked[uuidColumn(e.id)] = {
        event_type: e.type,
        waiting_for_kind: wait.kind,
        waiting_for_ref: wait.ref,
      };

    let primary: string | null = null;
    const named: string[] = [];
    let matchId: string | undefined;
    switch (e.type) {
      case 'buddy.user.registered':
      case 'buddy.user.updated':
        primary = e.data.userId;
        named.push(e.data.userId);
        break;
      case 'buddy.match.created':
      case 'buddy.match.ended':
        primary = e.data.participantId;
        named.push(e.data.participantId, e.data.buddyId);
        matchId = e.data.matchId;
        break;
      case 'buddy.event.logged':
        matchId = e.data.matchId;
        if (processed) {
          putOnce(state.buddy_events, uuidColumn(e.data.eventId), {
            match_id: uuidColumn(e.data.matchId),
            event_type: e.data.eventType,
            event_date: utc(e.data.eventDate),
            description: e.data.description ?? null,
            location: e.data.location ?? null,
          });
        }
        break;
      case 'buddy.checkin.completed':
        matchId = e.data.matchId;
        if (processed) {
          putOnce(state.buddy_checkins, uuidColumn(e.data.checkinId), {
            match_id: uuidColumn(e.data.matchId),
            checkin_date: utc(e.data.checkinDate),
            mood: e.data.mood ?? null,
            notes: e.data.notes ?? null,
          });
        }
        break;
      case 'buddy.feedback.submitted':
        matchId = e.data.matchId;
        if (processed) {
          putOnce(state.buddy_feedback, uuidColumn(e.data.feedbackId), {
            match_id: uuidColumn(e.data.matchId),
            from_role: e.data.fromRole,
            rating: numeric2(e.data.rating),
            feedback_text: e.data.feedbackText ?? null,
            submitted_at: utc(e.data.submittedAt),
          });
        }
        break;
      case 'buddy.event.attended':
        primary = e.data.userId;
        named.push(e.data.userId);
        matchId = e.data.matchId;
        if (processed && e.data.matchId !== undefined) {
          putOnce(state.buddy_events, formalEventRowId(e.data.eventId, e.data.matchId), {
            match_id: uuidColumn(e.data.matchId),
            event_type: e.data.eventType,
            event_date: utc(e.data.attendedAt),
            description: e.data.eventTitle,
            location: e.data.location ?? null,
          });
        }
        break;
      case 'buddy.skill_share.completed': {
        const d = e.data;
        primary = d.learnerId;
        named.push(d.learnerId, d.teacherId);
        matchId = d.matchId;
        if (!processed) break;
        const parts: string[] = [];
        if (d.feedback?.teacherComment) parts.push(`Teacher: ${d.feedback.teacherComment}`);
        if (d.feedback?.learnerComment) parts.push(`Learner: ${d.feedback.learnerComment}`);
        const rating = d.feedback?.learnerRating ?? d.feedback?.teacherRating;
        putOnce(state.kintell_sessions, uuidColumn(d.sessionId), {
          external_session_id: d.sessionId,
          session_type: 'skill_share',
          participant_id: d.learnerId,
          volunteer_id: d.teacherId,
          scheduled_at: d.scheduledAt ? utc(d.scheduledAt) : null,
          completed_at: utc(d.completedAt),
          duration_minutes: d.durationMinutes ?? null,
          rating: rating === undefined ? null : numeric2(rating),
          feedback_text: parts.length > 0 ? parts.join('\n\n') : null,
          topics: [d.skillName],
        });
        if (d.format === 'online' && d.matchId !== undefined) {
          putOnce(state.buddy_events, uuidColumn(d.sessionId), {
            match_id: uuidColumn(d.matchId),
            event_type: 'video_call',
            event_date: utc(d.completedAt),
            // Unspecified in projections.md; the skill's name says what the call was about.
            description: d.skillName,
            location: null,
          });
        }
        break;
      }
      case 'buddy.milestone.reached': {
        const d = e.data;
        primary = d.userId;
        named.push(d.userId);
        if (!processed) break;
        const milestone = `buddy_milestone_${d.milestoneId}`;
        const key = `${d.userId} ${milestone}`;
        const reachedAt = utc(d.reachedAt);
        const current = state.journey_milestones[key];
        if (!current || Date.parse(reachedAt) < Date.parse(current.reached_at)) {
          state.journey_milestones[key] = {
            user_id: d.userId,
            milestone,
            reached_at: reachedAt,
            triggered_by_rule: 'buddy.milestone.reached',
          };
        }
        break;
      }
      case 'buddy.import.batch':
        break;
    }

    // Match-scoped events: the primary user is the match's participant, known once the match is.
    if (
      e.type === 'buddy.event.logged' ||
      e.type === 'buddy.checkin.completed' ||
      e.type === 'buddy.feedback.submitted'
    ) {
      primary = peopleOf(e.data.matchId)[0] ?? null;
    }

    state.buddy_system_events[uuidColumn(e.id)] = {
      event_type: e.type,
      user_id: primary,
      timestamp,
      correlation_id: e.correlationId ? uuidColumn(e.correlationId) : null,
      company_id: e.metadata?.companyId ? uuidColumn(e.metadata.companyId) : null,
      processed,
    };

    // Activity: the users the event names, and the people of the match it names; a registration or
    // profile update is not Buddy activity (docs/projections.md).
    const profileEvent = e.type === 'buddy.user.registered' || e.type === 'buddy.user.updated';
    if (processed && !profileEvent)
      for (const userId of new Set([...named, ...peopleOf(matchId)])) involve(userId, timestamp);
  }

  // 7. Per user, from the matches: enrollment and journey flags.
  const matchesOf = new Map<string, { asParticipant: MatchRow[]; asBuddy: MatchRow[] }>();
  const entry = (userId: string) => {
    let found = matchesOf.get(userId);
    if (!found) matchesOf.set(userId, (found = { asParticipant: [], asBuddy: [] }));
    return found;
  };
  for (const match of Object.values(state.buddy_matches)) {
    entry(match.participant_id).asParticipant.push(match);
    entry(match.buddy_id).asBuddy.push(match);
  }

  for (const [userId, { asParticipant, asBuddy }] of matchesOf) {
    const all = [...asParticipant, ...asBuddy];
    let enrolledAt = all[0]!.matched_at;
    let anyActive = false;
    let anyCompleted = false;
    let completedAt: string | null = null;
    for (const m of all) {
      if (Date.parse(m.matched_at) < Date.parse(enrolledAt)) enrolledAt = m.matched_at;
      if (m.status === 'active') anyActive = true;
      if (m.end_reason === 'completed') {
        anyCompleted = true;
        completedAt = later(completedAt, m.ended_at);
      }
    }
    state.program_enrollments[userId] = {
      program_type: 'buddy',
      enrolled_at: enrolledAt,
      status: anyActive ? 'active' : anyCompleted ? 'completed' : 'dropped',
      completed_at: completedAt,
    };
  }

  for (const userId of Object.keys(state.users)) {
    const role = profileOf.get(userId)!.data.role;
    const matches = matchesOf.get(userId) ?? { asParticipant: [], asBuddy: [] };
    state.journey_flags[userId] = {
      is_buddy_participant: role === 'participant' || matches.asParticipant.length > 0,
      is_buddy_volunteer: role === 'buddy' || matches.asBuddy.length > 0,
      buddy_match_count: matches.asParticipant.length + matches.asBuddy.length,
      last_buddy_activity: lastActivity.get(userId) ?? null,
    };
  }

  return state;
}

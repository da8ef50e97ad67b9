import { describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES, parseEnvelope, type BuddyEvent } from '../../src/contracts/index.ts';
import { formalEventRowId } from '../../src/pipeline/ids.ts';
import {
  generateProgramme,
  iterateProgramme,
  type SyntheticProgramme,
  type SyntheticRecord,
} from '../../src/synthetic/generate.ts';
import { Random } from '../../src/synthetic/random.ts';
import { INVALID_KINDS } from '../../src/synthetic/wire.ts';
import { computeExpected, numeric2 } from '../support/model.ts';

const RFC_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Verdict = { ok: true; event: BuddyEvent; envelope: 'flat' | 'bus' } | { ok: false; why: string };

/** What the processor would decide about a record: size, JSON, contract, topic = type. */
function judge(record: SyntheticRecord): Verdict {
  if (record.value.length > MAX_EVENT_BYTES) return { ok: false, why: 'oversize' };
  let value: unknown;
  try {
    value = JSON.parse(record.value.toString('utf8'));
  } catch {
    return { ok: false, why: 'not_json' };
  }
  const parsed = parseEnvelope(value);
  if (!parsed.ok) return { ok: false, why: parsed.code };
  if (parsed.event.type !== record.topic) return { ok: false, why: 'type_topic_mismatch' };
  return { ok: true, event: parsed.event, envelope: parsed.envelope };
}

const programme = generateProgramme({ seed: 7, invalidRate: 0.05 });

describe('random', () => {
  it('is deterministic per seed and gives RFC version 4 UUIDs', () => {
    const a = new Random(42);
    const b = new Random(42);
    const seqA = Array.from({ length: 5 }, () => [a.next(), a.int(1, 6), a.uuid()]);
    const seqB = Array.from({ length: 5 }, () => [b.next(), b.int(1, 6), b.uuid()]);
    expect(seqA).toEqual(seqB);
    expect(new Random(43).uuid()).not.toBe(new Random(42).uuid());
    const rng = new Random(1);
    for (let i = 0; i < 1000; i++) {
      const id = rng.uuid();
      expect(id).toMatch(RFC_UUID);
      expect(id[14]).toBe('4');
      const n = rng.int(-2, 3);
      expect(n >= -2 && n <= 3).toBe(true);
    }
    expect(rng.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('formalEventRowId', () => {
  it('is a stable, RFC-valid version 5 UUID per (formal event, match)', () => {
    const e = 'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f';
    const m = 'a8098c1a-f86e-41d3-b2f6-7a1e2d3c4b5a';
    const id = formalEventRowId(e, m);
    expect(id).toMatch(RFC_UUID);
    expect(id[14]).toBe('5');
    expect(formalEventRowId(e, m)).toBe(id);
    expect(formalEventRowId(e.toUpperCase(), m.toUpperCase())).toBe(id);
    expect(formalEventRowId(m, e)).not.toBe(id);
  });
});

describe('generateProgramme', () => {
  it('is deterministic for a seed', () => {
    const again = generateProgramme({ seed: 7, invalidRate: 0.05 });
    const bytes = (p: SyntheticProgramme) =>
      p.records.map((r) => [r.topic, r.key, r.value.toString('base64')]);
    expect(bytes(again)).toEqual(bytes(programme));
    expect(again.events).toEqual(programme.events);
    const other = generateProgramme({ seed: 8, invalidRate: 0.05 });
    expect(bytes(other)).not.toEqual(bytes(programme));
  });

  it('streams the same records as it returns in memory', () => {
    const small = { seed: 3, weeks: 4, participants: 15, buddies: 10, invalidRate: 0.05 };
    const whole = generateProgramme(small);
    const streamed: SyntheticRecord[] = [];
    const iterator = iterateProgramme(small);
    let next = iterator.next();
    while (!next.done) {
      streamed.push(next.value.record);
      next = iterator.next();
    }
    expect(streamed).toEqual(whole.records);
    expect(next.value).toEqual(whole.stats);
  });

  it('publishes valid records that pass the contract, equal to their canonical event', () => {
    const canonical = new Map(programme.events.map((e) => [e.id, e]));
    expect(canonical.size).toBe(programme.events.length);
    for (const record of programme.records.filter((r) => r.valid)) {
      const verdict = judge(record);
      expect(verdict.ok, `${record.topic} ${record.value.toString().slice(0, 200)}`).toBe(true);
      if (!verdict.ok) continue;
      expect(verdict.event).toEqual(canonical.get(record.eventId!));
    }
    const publishedIds = new Set(programme.records.filter((r) => r.valid).map((r) => r.eventId));
    expect(publishedIds).toEqual(new Set(canonical.keys()));
  });

  it('publishes invalid records of every kind, each rejected for its reason', () => {
    const invalid = programme.records.filter((r) => !r.valid);
    expect(new Set(invalid.map((r) => r.invalidKind))).toEqual(new Set(INVALID_KINDS));
    const validIds = new Set(programme.events.map((e) => e.id));
    for (const record of invalid) {
      const verdict = judge(record);
      expect(verdict.ok, `${record.invalidKind}: ${record.value.toString().slice(0, 200)}`).toBe(false);
      if (verdict.ok) continue;
      const expected: Record<string, string[]> = {
        oversize: ['oversize'],
        not_json: ['not_json'],
        no_id: ['no_id'],
        unknown_type: ['unknown_type'],
        schema_violation: ['schema_violation'],
        type_topic_mismatch: ['type_topic_mismatch'],
      };
      expect(expected[record.invalidKind!]).toContain(verdict.why);
      if (record.eventId) expect(validIds.has(record.eventId)).toBe(false);
    }
  });

  it('keys each record by the Buddy id of its primary user', () => {
    const participantOf = new Map<string, string>();
    for (const e of programme.events)
      if (e.type === 'buddy.match.created') participantOf.set(e.data.matchId, e.data.participantId);
    const byId = new Map(programme.events.map((e) => [e.id, e]));
    for (const record of programme.records.filter((r) => r.valid)) {
      const e = byId.get(record.eventId!)!;
      const primary =
        e.type === 'buddy.match.created' || e.type === 'buddy.match.ended'
          ? e.data.participantId
          : e.type === 'buddy.event.logged' ||
              e.type === 'buddy.checkin.completed' ||
              e.type === 'buddy.feedback.submitted'
            ? participantOf.get(e.data.matchId)
            : e.type === 'buddy.skill_share.completed'
              ? e.data.learnerId
              : e.type === 'buddy.import.batch'
                ? null
                : e.data.userId;
      expect(record.key).toBe(primary);
      expect(record.topic).toBe(e.type);
    }
  });

  it('re-sends events with the same id, half of them in the other envelope', () => {
    const byId = new Map<string, { envelope: 'flat' | 'bus'; event: BuddyEvent }[]>();
    for (const record of programme.records.filter((r) => r.valid)) {
      const verdict = judge(record);
      if (!verdict.ok) throw new Error('valid record rejected');
      const list = byId.get(record.eventId!) ?? [];
      list.push({ envelope: verdict.envelope, event: verdict.event });
      byId.set(record.eventId!, list);
    }
    const resent = [...byId.values()].filter((list) => list.length > 1);
    const crossEnvelope = resent.filter((list) => new Set(list.map((x) => x.envelope)).size > 1);
    const valid = programme.stats.validEvents;
    expect(resent.length / valid).toBeGreaterThan(0.06);
    expect(resent.length / valid).toBeLessThan(0.14);
    expect(crossEnvelope.length / resent.length).toBeGreaterThan(0.35);
    expect(crossEnvelope.length / resent.length).toBeLessThan(0.65);
    for (const list of resent) for (const copy of list) expect(copy.event).toEqual(list[0]!.event);
    expect(programme.stats.duplicates).toBe(programme.records.filter((r) => r.valid).length - valid);
  });

  it('roughly honours the rates', () => {
    const { stats } = programme;
    const validRecords = programme.records.filter((r) => r.valid);
    const bus = validRecords.filter((r) => {
      const verdict = judge(r);
      return verdict.ok && verdict.envelope === 'bus';
    }).length;
    expect(bus / validRecords.length).toBeGreaterThan(0.25);
    expect(bus / validRecords.length).toBeLessThan(0.35);
    expect(stats.movedEarlier / stats.validEvents).toBeGreaterThan(0.15);
    expect(stats.movedEarlier / stats.validEvents).toBeLessThan(0.25);
    const invalid = programme.records.length - validRecords.length;
    expect(invalid / stats.validEvents).toBeGreaterThan(0.03);
    expect(invalid / stats.validEvents).toBeLessThan(0.07);
    expect(generateProgramme({ seed: 7 }).records.every((r) => r.valid)).toBe(true);
  });

  it('publishes children before their match and matches before their users', () => {
    const firstPublished = new Map<string, number>();
    programme.records.forEach((r, i) => {
      if (r.valid && !firstPublished.has(r.eventId!)) firstPublished.set(r.eventId!, i);
    });
    const createdAt = new Map<string, number>();
    const registeredAt = new Map<string, number>();
    for (const e of programme.events) {
      const at = firstPublished.get(e.id)!;
      if (e.type === 'buddy.match.created' && !createdAt.has(e.data.matchId))
        createdAt.set(e.data.matchId, at);
      if (e.type === 'buddy.user.registered') registeredAt.set(e.data.userId, at);
    }
    let childrenFirst = 0;
    let matchesFirst = 0;
    for (const e of programme.events) {
      const at = firstPublished.get(e.id)!;
      if (
        e.type === 'buddy.checkin.completed' ||
        e.type === 'buddy.event.logged' ||
        e.type === 'buddy.feedback.submitted'
      ) {
        if (at < createdAt.get(e.data.matchId)!) childrenFirst++;
      }
      if (e.type === 'buddy.match.created') {
        if (at < registeredAt.get(e.data.participantId)! || at < registeredAt.get(e.data.buddyId)!)
          matchesFirst++;
      }
    }
    expect(childrenFirst).toBeGreaterThan(0);
    expect(matchesFirst).toBeGreaterThan(0);
  });

  it('generates realistic content within the catalog', () => {
    const { events } = programme;
    const of = <K extends BuddyEvent['type']>(type: K) =>
      events.filter((e): e is Extract<BuddyEvent, { type: K }> => e.type === type);
    const notes = of('buddy.checkin.completed').map((e) => e.data.notes);
    expect(notes.some((n) => n === undefined)).toBe(true);
    expect(notes.some((n) => n && /[а-яіїєґ]/i.test(n))).toBe(true); // Ukrainian
    expect(notes.some((n) => n && /\b(og|jeg|denne|uke)\b|[æøå]/i.test(n))).toBe(true); // Norwegian
    expect(notes.some((n) => n && /\b(the|week|feeling)\b/i.test(n))).toBe(true); // English
    const feedback = of('buddy.feedback.submitted');
    expect(new Set(feedback.map((e) => e.data.fromRole))).toEqual(new Set(['participant', 'buddy']));
    const attended = of('buddy.event.attended');
    expect(attended.some((e) => e.data.matchId)).toBe(true);
    expect(attended.some((e) => !e.data.matchId)).toBe(true);
    const skills = of('buddy.skill_share.completed');
    expect(skills.some((e) => e.data.format === 'online' && e.data.matchId)).toBe(true);
    const reasons = new Set(of('buddy.match.ended').map((e) => e.data.reason));
    expect(reasons.has('completed')).toBe(true);
    expect(reasons.size).toBeGreaterThan(2);
    const matches = new Map(of('buddy.match.created').map((e) => [e.data.matchId, e.data]));
    for (const s of skills) {
      if (!s.data.matchId) continue;
      expect(s.data.teacherId).toBe(matches.get(s.data.matchId)!.buddyId);
      expect(s.data.learnerId).toBe(matches.get(s.data.matchId)!.participantId);
    }
    expect(of('buddy.user.updated').length).toBeGreaterThan(0);
    expect(of('buddy.milestone.reached').length).toBeGreaterThan(0);
    const companies = new Set(events.map((e) => e.metadata?.companyId).filter(Boolean));
    expect(companies).toEqual(new Set(programme.stats.companyIds));
    // Every reference arrives: nothing stays parked.
    expect(computeExpected(programme.events).parked).toEqual({});
  });

  it('leaves orphans parked when asked for them', () => {
    const withOrphans = generateProgramme({ seed: 2, weeks: 4, participants: 10, buddies: 6, orphans: 6 });
    expect(Object.keys(computeExpected(withOrphans.events).parked)).toHaveLength(6);
  });

  it('scales the cast to reach targetEvents', () => {
    const { stats } = generateProgramme({ seed: 4, targetEvents: 5000, duplicateRate: 0, outOfOrderRate: 0 });
    expect(stats.validEvents).toBeGreaterThan(4500);
    expect(stats.validEvents).toBeLessThan(5500);
    expect(stats.options.participants).toBeGreaterThan(60);
  });
});

// ---------- the model on a hand-written sequence ----------

const P = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const B = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const M = 'a8098c1a-f86e-41d3-b2f6-7a1e2d3c4b5a';
const COMPANY = '0b6f3a5e-8d1c-4c2a-9f3e-1a2b3c4d5e6f';
const GHOST_MATCH = 'deadbeef-0000-4000-8000-000000000001';
const GHOST_USER = 'deadbeef-0000-4000-8000-000000000002';
const FORMAL = 'c4d5e6f7-a8b9-4c0d-9e1f-2a3b4c5d6e7f';

let n = 0;
function ev(type: string, timestamp: string, data: Record<string, unknown>, companyId?: string): BuddyEvent {
  n++;
  const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  return {
    id,
    type,
    version: 'v1',
    timestamp,
    ...(companyId ? { metadata: { companyId } } : {}),
    data,
  } as unknown as BuddyEvent;
}

const participant = {
  userId: P,
  email: 'Olena.Kovalenko@Example.org',
  firstName: 'Olena',
  lastName: 'Kovalenko',
  role: 'participant',
  joinedAt: '2026-01-05T09:00:00.000Z',
};
const buddy = {
  userId: B,
  email: 'ingrid.hansen@example.org',
  firstName: 'Ingrid',
  lastName: 'Hansen',
  role: 'buddy',
  joinedAt: '2026-01-04T09:00:00.000Z',
};
const created = { matchId: M, participantId: P, buddyId: B, matchedAt: '2026-01-10T10:00:00.000Z' };

const hand = {
  registerP: ev('buddy.user.registered', '2026-01-05T09:00:00.000Z', participant, COMPANY),
  registerB: ev('buddy.user.registered', '2026-01-04T09:00:00.000Z', buddy, COMPANY),
  // Older than the registration: changes nothing.
  staleUpdate: ev('buddy.user.updated', '2026-01-01T09:00:00.000Z', {
    ...participant,
    lastName: 'Shevchenko',
  }),
  // Newer: the profile follows it (and the e-mail is lower-cased, the missing first name cleared).
  update: ev('buddy.user.updated', '2026-02-01T09:00:00+01:00', {
    ...buddy,
    email: 'Ingrid.H@Example.org',
    firstName: undefined,
  }),
  // The end comes before the creation in publish order, and the creation is re-sent after the end.
  ended: ev(
    'buddy.match.ended',
    '2026-03-20T12:00:00.000Z',
    {
      matchId: M,
      participantId: P,
      buddyId: B,
      endedAt: '2026-03-20T12:00:00.000Z',
      duration: 69,
      reason: 'completed',
    },
    COMPANY,
  ),
  created: ev('buddy.match.created', '2026-01-10T10:00:05.000Z', created, COMPANY),
  recreated: ev('buddy.match.created', '2026-03-25T10:00:00.000Z', created, COMPANY),
  laterEnd: ev(
    'buddy.match.ended',
    '2026-03-28T12:00:00.000Z',
    {
      matchId: M,
      participantId: P,
      buddyId: B,
      endedAt: '2026-03-28T12:00:00.000Z',
      duration: 77,
      reason: 'inactivity',
    },
    COMPANY,
  ),
  // The same milestone twice: the earlier reachedAt wins, whatever the order of the events.
  milestone: ev('buddy.milestone.reached', '2026-01-20T10:00:00.000Z', {
    milestoneId: 3,
    userId: P,
    milestoneTitle: 'First meeting',
    milestoneCategory: 'buddy-connection',
    reachedAt: '2026-01-20T10:00:00.000Z',
    points: 10,
  }),
  milestoneAgain: ev('buddy.milestone.reached', '2026-02-20T10:00:00.000Z', {
    milestoneId: 3,
    userId: P,
    milestoneTitle: 'First meeting',
    milestoneCategory: 'buddy-connection',
    reachedAt: '2026-01-18T10:00:00+02:00',
    points: 10,
  }),
  checkin: ev('buddy.checkin.completed', '2026-01-15T08:30:00.000Z', {
    checkinId: 'e6f7a8b9-c0d1-4e2f-9a3b-4c5d6e7f8091',
    matchId: M,
    checkinDate: '2026-01-15T08:30:00.000Z',
    notes: 'Føler meg mer hjemme.',
  }),
  feedback: ev('buddy.feedback.submitted', '2026-02-15T19:45:00.000Z', {
    feedbackId: 'f7a8b9c0-d1e2-4f3a-8b4c-5d6e7f8091a2',
    matchId: M,
    fromRole: 'buddy',
    rating: 0.875,
    submittedAt: '2026-02-15T19:45:00.000Z',
  }),
  attendedP: ev('buddy.event.attended', '2026-02-01T17:00:00.000Z', {
    eventId: FORMAL,
    userId: P,
    matchId: M,
    eventTitle: 'Norwegian conversation evening',
    eventType: 'language',
    eventFormat: 'in-person',
    attendedAt: '2026-02-01T17:00:00.000Z',
  }),
  attendedB: ev('buddy.event.attended', '2026-02-01T17:05:00.000Z', {
    eventId: FORMAL,
    userId: B,
    matchId: M,
    eventTitle: 'Norwegian conversation evening',
    eventType: 'language',
    eventFormat: 'in-person',
    attendedAt: '2026-02-01T17:00:00.000Z',
  }),
  attendedAlone: ev('buddy.event.attended', '2026-04-01T17:00:00.000Z', {
    eventId: FORMAL,
    userId: P,
    eventTitle: 'Norwegian conversation evening',
    eventType: 'language',
    eventFormat: 'online',
    attendedAt: '2026-04-01T17:00:00.000Z',
  }),
  skill: ev('buddy.skill_share.completed', '2026-02-08T11:00:00.000Z', {
    sessionId: 'd5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80',
    skillId: 2,
    skillName: 'CV writing',
    teacherId: B,
    learnerId: P,
    matchId: M,
    completedAt: '2026-02-08T11:00:00.000Z',
    format: 'online',
    feedback: { teacherRating: 0.5, teacherComment: 'Quick learner.', learnerComment: 'Useful.' },
  }),
  // Never applicable: the match, the user never arrive.
  orphanCheckin: ev('buddy.checkin.completed', '2026-02-02T08:00:00.000Z', {
    checkinId: '11111111-1111-4111-8111-111111111111',
    matchId: GHOST_MATCH,
    checkinDate: '2026-02-02T08:00:00.000Z',
  }),
  orphanMilestone: ev('buddy.milestone.reached', '2026-02-02T08:00:00.000Z', {
    milestoneId: 1,
    userId: GHOST_USER,
    milestoneTitle: 'Profile completed',
    milestoneCategory: 'onboarding',
    reachedAt: '2026-02-02T08:00:00.000Z',
    points: 5,
  }),
};
const sequence = Object.values(hand);

describe('computeExpected on a hand-written sequence', () => {
  const state = computeExpected(sequence);

  it('keeps the profile of the latest event time', () => {
    expect(state.users).toEqual({
      [P]: {
        email: 'olena.kovalenko@example.org',
        first_name: 'Olena',
        last_name: 'Kovalenko',
        role: 'beneficiary',
      },
      [B]: { email: 'ingrid.h@example.org', first_name: null, last_name: 'Hansen', role: 'volunteer' },
    });
  });

  it('ends the match at the earliest end and never reopens it', () => {
    expect(state.buddy_matches).toEqual({
      [M]: {
        participant_id: P,
        buddy_id: B,
        matched_at: '2026-01-10T10:00:00.000Z',
        status: 'ended',
        ended_at: '2026-03-20T12:00:00.000Z',
        end_reason: 'completed',
        company_id: COMPANY,
      },
    });
    expect(state.program_enrollments).toEqual({
      [P]: {
        program_type: 'buddy',
        enrolled_at: '2026-01-10T10:00:00.000Z',
        status: 'completed',
        completed_at: '2026-03-20T12:00:00.000Z',
      },
      [B]: {
        program_type: 'buddy',
        enrolled_at: '2026-01-10T10:00:00.000Z',
        status: 'completed',
        completed_at: '2026-03-20T12:00:00.000Z',
      },
    });
  });

  it('records a milestone once, at its earliest reachedAt', () => {
    expect(state.journey_milestones).toEqual({
      [`${P} buddy_milestone_3`]: {
        user_id: P,
        milestone: 'buddy_milestone_3',
        reached_at: '2026-01-18T08:00:00.000Z',
        triggered_by_rule: 'buddy.milestone.reached',
      },
    });
  });

  it('projects activities: one formal-event row per match, video calls, rounded ratings', () => {
    expect(state.buddy_events).toEqual({
      [formalEventRowId(FORMAL, M)]: {
        match_id: M,
        event_type: 'language',
        event_date: '2026-02-01T17:00:00.000Z',
        description: 'Norwegian conversation evening',
        location: null,
      },
      'd5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80': {
        match_id: M,
        event_type: 'video_call',
        event_date: '2026-02-08T11:00:00.000Z',
        description: 'CV writing',
        location: null,
      },
    });
    expect(Object.keys(state.buddy_checkins)).toEqual(['e6f7a8b9-c0d1-4e2f-9a3b-4c5d6e7f8091']);
    expect(state.buddy_feedback['f7a8b9c0-d1e2-4f3a-8b4c-5d6e7f8091a2']!.rating).toBe(0.88);
    expect(state.kintell_sessions['d5e6f7a8-b9c0-4d1e-8f2a-3b4c5d6e7f80']).toMatchObject({
      participant_id: P,
      volunteer_id: B,
      rating: 0.5,
      feedback_text: 'Teacher: Quick learner.\n\nLearner: Useful.',
      topics: ['CV writing'],
    });
  });

  it('derives journey flags from roles, matches and the latest applied event', () => {
    expect(state.journey_flags[P]).toEqual({
      is_buddy_participant: true,
      is_buddy_volunteer: false,
      buddy_match_count: 1,
      last_buddy_activity: '2026-04-01T17:00:00.000Z',
    });
    expect(state.journey_flags[B]).toEqual({
      is_buddy_participant: false,
      is_buddy_volunteer: true,
      buddy_match_count: 1,
      last_buddy_activity: '2026-03-28T12:00:00.000Z',
    });
  });

  it('stores every event once, and parks what can never apply', () => {
    expect(Object.keys(state.buddy_system_events)).toHaveLength(sequence.length);
    expect(state.buddy_system_events[hand.checkin.id]).toMatchObject({ user_id: P, processed: true });
    expect(state.buddy_system_events[hand.update.id]).toMatchObject({
      user_id: B,
      timestamp: '2026-02-01T08:00:00.000Z',
    });
    expect(state.buddy_system_events[hand.orphanCheckin.id]).toMatchObject({
      user_id: null,
      processed: false,
    });
    expect(state.buddy_system_events[hand.orphanMilestone.id]).toMatchObject({
      user_id: GHOST_USER,
      processed: false,
    });
    expect(state.parked).toEqual({
      [hand.orphanCheckin.id]: {
        event_type: 'buddy.checkin.completed',
        waiting_for_kind: 'match',
        waiting_for_ref: GHOST_MATCH,
      },
      [hand.orphanMilestone.id]: {
        event_type: 'buddy.milestone.reached',
        waiting_for_kind: 'user',
        waiting_for_ref: GHOST_USER,
      },
    });
  });

  it('does not depend on order or re-deliveries', () => {
    const rng = new Random(9);
    for (let i = 0; i < 5; i++) {
      const shuffled = rng.shuffle([...sequence, ...sequence.slice(0, 5)]);
      expect(computeExpected(shuffled)).toEqual(state);
    }
  });

  it('rounds numeric(3,2) as Postgres does', () => {
    expect(numeric2(0.875)).toBe(0.88);
    expect(numeric2(0.285)).toBe(0.29);
    expect(numeric2(0.5)).toBe(0.5);
    expect(numeric2(1)).toBe(1);
  });
});

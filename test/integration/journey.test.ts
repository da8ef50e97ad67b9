// Journey rules on crafted sequences: milestones reached once at the time the state says (whatever the
// arrival order), flags set and cleared by events and by the sweep, expiry honoured, one sweep at a time.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepJourney } from '../../src/journey/sweep.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { flatEnvelope, sampleIds, sampleUsers, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-02-02T10:00:00.000Z');
const at = (days: number) => new Date(T0 + days * DAY).toISOString();
const log = createLogger({ level: 'silent' });

const streams: TestStream[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) await s.close();
});

type Rec = { topic: string; value: Record<string, unknown> };

function programme(s: TestStream): Rec[] {
  const t = (type: string) => s.topic(type);
  const rec = (type: string, data: object, day: number): Rec => ({
    topic: t(type),
    value: flatEnvelope(type, data, { timestamp: at(day) }),
  });
  const match = { ...validData['buddy.match.created'], matchedAt: at(0) };
  const events = Array.from({ length: 10 }, (_, i) =>
    rec(
      'buddy.event.logged',
      { matchId: sampleIds.matchId, eventId: randomUUID(), eventType: 'hangout', eventDate: at(2 + i * 3) },
      2 + i * 3,
    ),
  );
  const checkins = Array.from({ length: 4 }, (_, i) =>
    rec(
      'buddy.checkin.completed',
      { checkinId: randomUUID(), matchId: sampleIds.matchId, checkinDate: at(1 + i * 2), mood: 'good' },
      1 + i * 2,
    ),
  );
  return [
    rec('buddy.user.registered', sampleUsers.participant, 0),
    rec('buddy.user.registered', sampleUsers.buddy, 0),
    rec('buddy.match.created', match, 0),
    ...events,
    ...checkins,
    rec(
      'buddy.skill_share.completed',
      { ...validData['buddy.skill_share.completed'], completedAt: at(20) },
      20,
    ),
  ];
}

async function milestones(s: TestStream, buddyUserId: string) {
  const { rows } = await s.pool.query<{ milestone: string; reached_at: Date }>(
    `SELECT milestone, reached_at FROM journey_milestones j JOIN user_external_ids x ON x.profile_id = j.user_id
     WHERE x.external_id = $1 AND milestone NOT LIKE 'buddy_milestone_%' ORDER BY milestone`,
    [buddyUserId],
  );
  return Object.fromEntries(rows.map((r) => [r.milestone, r.reached_at.toISOString()]));
}

async function flags(s: TestStream, buddyUserId: string) {
  const { rows } = await s.pool.query<{ flag: string; value: boolean; expires_at: Date | null }>(
    `SELECT flag, value, expires_at FROM journey_flags j JOIN user_external_ids x ON x.profile_id = j.user_id
     WHERE x.external_id = $1 ORDER BY flag`,
    [buddyUserId],
  );
  return Object.fromEntries(rows.map((r) => [r.flag, r.value]));
}

const EXPECTED_MILESTONES = {
  first_buddy_match: at(0),
  first_meeting: at(2),
  // 3 events (day 8) and 4 check-ins (day 7): the later of the two.
  connected: at(8),
  // Ten activities: nine hangouts and the online skill share's video call (day 20).
  buddy_10_events: at(26),
  buddy_skill_share_completed: at(20),
};

describe('journey rules', () => {
  it('reaches each milestone once, at the time the state says, in order and reversed; integrated and thriving not', async () => {
    for (const reversed of [false, true]) {
      const s = await createTestStream(reversed ? 'journeyrev' : 'journey', { partitions: 1 });
      streams.push(s);
      const records = programme(s);
      await s.publish(reversed ? [...records].reverse() : records);
      const { processor } = await s.startProcessor();
      await processor.waitUntilCaughtUp();
      expect(await milestones(s, sampleIds.participantId)).toEqual(EXPECTED_MILESTONES);
      expect(await milestones(s, sampleIds.buddyId)).toEqual(EXPECTED_MILESTONES);
      expect(await flags(s, sampleIds.participantId)).toMatchObject({ buddy_match_active: true });
      // Re-sending everything changes nothing.
      await s.publish(records);
      await processor.waitUntilCaughtUp();
      expect(await milestones(s, sampleIds.participantId)).toEqual(EXPECTED_MILESTONES);
      const published = await s.readTopic(s.config.JOURNEY_MILESTONE_TOPIC, 10, 10_000);
      const names = published.map((r) => JSON.parse(r.value!.toString())).filter((m) => m.userId);
      // 5 rule milestones for each of the two users, each published once.
      expect(names).toHaveLength(10);
      expect(new Set(names.map((m) => `${m.userId}:${m.milestone}`)).size).toBe(10);
    }
  });

  it('sets and clears the time-based flags through events and the sweep; expiry is honoured; one sweep at a time', async () => {
    const s = await createTestStream('journeyflags', { partitions: 1 });
    streams.push(s);
    const t = (type: string) => s.topic(type);
    const send = (type: string, data: object, day: number) =>
      s.publish([{ topic: t(type), value: flatEnvelope(type, data, { timestamp: at(day) }) }]);
    await s.publish(programme(s).slice(0, 3));
    const { processor } = await s.startProcessor();
    await processor.waitUntilCaughtUp();
    const sweepOptions = { groupId: s.config.KAFKA_GROUP_ID, feedbackWindowMs: 14 * DAY };
    const pools = [
      new pg.Pool({ connectionString: s.db.url, max: 2 }),
      new pg.Pool({ connectionString: s.db.url, max: 2 }),
    ];
    const sweepTwice = async () => {
      const results = await Promise.all(pools.map((pool) => sweepJourney(pool, sweepOptions, log)));
      return results.reduce((n, r) => n + r.flagsChanged, 0);
    };
    try {
      // Day 0: a match, nothing due yet.
      expect(await sweepTwice()).toBe(0);
      expect(await flags(s, sampleIds.participantId)).toEqual({ buddy_match_active: true });

      // Day 9 (a milestone elsewhere moves the clock): no check-in for 9 days -> due, set once by two sweepers.
      await send('buddy.milestone.reached', { ...validData['buddy.milestone.reached'], reachedAt: at(9) }, 9);
      await processor.waitUntilCaughtUp();
      expect(await sweepTwice()).toBe(1);
      expect(await flags(s, sampleIds.participantId)).toMatchObject({ buddy_checkin_due: true });

      // A check-in clears it in its own transaction, no sweep needed.
      await send(
        'buddy.checkin.completed',
        { checkinId: randomUUID(), matchId: sampleIds.matchId, checkinDate: at(9) },
        9,
      );
      await processor.waitUntilCaughtUp();
      expect(await flags(s, sampleIds.participantId)).toMatchObject({ buddy_checkin_due: false });

      // The match ends on day 10; feedback is pending for both once 14 days have passed (day 25).
      await send('buddy.match.ended', { ...validData['buddy.match.ended'], endedAt: at(10) }, 10);
      await processor.waitUntilCaughtUp();
      expect(await flags(s, sampleIds.participantId)).toMatchObject({ buddy_match_active: false });
      expect(await sweepTwice()).toBe(0);
      await send(
        'buddy.milestone.reached',
        { ...validData['buddy.milestone.reached'], milestoneId: 99, reachedAt: at(25) },
        25,
      );
      await processor.waitUntilCaughtUp();
      expect(await sweepTwice()).toBe(2);
      expect(await flags(s, sampleIds.participantId)).toMatchObject({ buddy_feedback_pending: true });
      expect(await flags(s, sampleIds.buddyId)).toMatchObject({ buddy_feedback_pending: true });

      // The participant's feedback clears their flag only.
      await send(
        'buddy.feedback.submitted',
        {
          ...validData['buddy.feedback.submitted'],
          feedbackId: randomUUID(),
          fromRole: 'participant',
          submittedAt: at(26),
        },
        26,
      );
      await processor.waitUntilCaughtUp();
      expect(await flags(s, sampleIds.participantId)).toMatchObject({ buddy_feedback_pending: false });
      expect(await flags(s, sampleIds.buddyId)).toMatchObject({ buddy_feedback_pending: true });

      // 30 days after it became pending (day 24 + 30), the buddy's flag expires.
      await send(
        'buddy.milestone.reached',
        { ...validData['buddy.milestone.reached'], milestoneId: 98, reachedAt: at(55) },
        55,
      );
      await processor.waitUntilCaughtUp();
      expect(await sweepTwice()).toBe(1);
      expect(await flags(s, sampleIds.buddyId)).toMatchObject({ buddy_feedback_pending: false });

      // Every change went out once on journey.flag.changed.
      const changes = (await s.readTopic(s.config.JOURNEY_FLAG_TOPIC, 10, 15_000)).map((r) =>
        JSON.parse(r.value!.toString()),
      );
      const summary = changes.map((c) => `${c.flag}=${c.value}`).sort();
      expect(summary).toEqual(
        [
          'buddy_match_active=true',
          'buddy_match_active=true',
          'buddy_checkin_due=true',
          'buddy_checkin_due=false',
          'buddy_match_active=false',
          'buddy_match_active=false',
          'buddy_feedback_pending=true',
          'buddy_feedback_pending=true',
          'buddy_feedback_pending=false',
          'buddy_feedback_pending=false',
        ].sort(),
      );
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});

// The journey state read (src/journey/state.ts) on the real Postgres, for what the rule tests do not
// reach: the first activity 90 and 180 days after the first match, from activities and check-ins of
// every match of the user, in either role.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJourneyStates } from '../../src/journey/state.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let client: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase('journeystate');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  await db?.drop();
});

const DAY = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00.000Z');
const day = (n: number) => new Date(START + n * DAY).toISOString();

async function user(role: string): Promise<string> {
  const id = randomUUID();
  await client.query('INSERT INTO users (id, email, role) VALUES ($1, $2, $3)', [
    id,
    `${id}@example.test`,
    role,
  ]);
  return id;
}

async function match(participant: string, buddy: string, matchedDay: number): Promise<string> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO buddy_matches (id, participant_id, buddy_id, matched_at) VALUES ($1, $2, $3, $4)',
    [id, participant, buddy, day(matchedDay)],
  );
  return id;
}

const activity = (matchId: string, n: number) =>
  client.query('INSERT INTO buddy_events (match_id, event_type, event_date) VALUES ($1, $2, $3)', [
    matchId,
    'hangout',
    day(n),
  ]);
const checkin = (matchId: string, n: number) =>
  client.query("INSERT INTO buddy_checkins (id, match_id, checkin_date, mood) VALUES ($1, $2, $3, 'good')", [
    randomUUID(),
    matchId,
    day(n),
  ]);

describe('journey state', () => {
  it('finds the first activity or check-in 90 and 180 days after the first match, over all matches', async () => {
    const participant = await user('participant');
    const buddy = await user('volunteer');
    const other = await user('participant');
    const first = await match(participant, buddy, 0);
    // The buddy's second match, 30 days later: its dates count for the buddy, not for the participant.
    const second = await match(other, buddy, 30);
    await activity(first, 10);
    await activity(first, 95); // 95 days after the participant's (and the buddy's) first match
    await checkin(first, 92); // earlier than that activity: the check-in is the first
    await checkin(second, 91);
    await activity(second, 185);
    await checkin(first, 200);

    const clock = { now: day(210), feedbackWindowMs: 14 * DAY };
    const states = await readJourneyStates(client, [participant, buddy, other], clock);
    const of = (id: string) => states.find((s) => s.userId === id)!;

    expect(of(participant)).toMatchObject({
      matchCount: 1,
      firstMatchedAt: day(0),
      eventDates: [day(10), day(95)],
      checkinDates: [day(92), day(200)],
      activeFor90Days: day(92),
      activeFor180Days: day(200),
    });
    expect(of(buddy)).toMatchObject({
      matchCount: 2,
      firstMatchedAt: day(0),
      activeFor90Days: day(91), // the second match's check-in
      activeFor180Days: day(185), // the second match's activity
    });
    // The other participant's first match is day 30: day 91 is only 61 days in; day 185 is 155.
    expect(of(other)).toMatchObject({
      matchCount: 1,
      firstMatchedAt: day(30),
      activeFor90Days: day(185),
      activeFor180Days: null,
    });
  });

  it('has no activity dates for a user without matches', async () => {
    const loner = await user('participant');
    const [state] = await readJourneyStates(client, [loner], { now: day(1), feedbackWindowMs: DAY });
    expect(state).toMatchObject({
      matchCount: 0,
      eventDates: [],
      activeFor90Days: null,
      activeFor180Days: null,
    });
  });
});

// Parking against concurrent registrations, on the real Postgres, with the interleaving forced step by
// step: a match whose two people register in two other transactions at the same moment must end
// applied, never parked for good. (Found as a rare failure of the two-consumer exactly-once test: the
// match waited for its participant, was looked at again once the participant was there, and was parked
// for its buddy without holding the buddy's lock; the buddy's registration had looked for parked events
// just before.)
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope, type BuddyEvent } from '../../src/contracts/index.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { applyEvents } from '../../src/pipeline/apply.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { flatEnvelope, sampleUsers, validData } from '../support/samples.ts';

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase('parkingrace');
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const log = createLogger({ level: 'silent' });
const options = { groupId: 'parking-race', feedbackWindowMs: 14 * 86_400_000 };

function event(type: BuddyEvent['type'], data: unknown, timestamp: string): BuddyEvent {
  const parsed = parseEnvelope(flatEnvelope(type, data, { timestamp }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.event;
}

/** A transaction applying events, left open until `commit`. */
async function open(events: BuddyEvent[]) {
  const tx = await pool.connect();
  await tx.query('BEGIN');
  const pid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const applied = applyEvents(
    tx,
    events.map((e) => ({ event: e, payloadText: JSON.stringify(e) })),
    log,
    options,
  );
  applied.catch(() => {}); // awaited below; a rejection is reported there
  return {
    pid,
    applied,
    async commit() {
      await applied;
      await tx.query('COMMIT');
      tx.release();
    },
  };
}

/** True once the backend waits for a lock, false once `done` settles first. */
async function blockedOrDone(pid: number, done: Promise<unknown>): Promise<boolean> {
  let settled = false;
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    if (settled) return false;
    const { rows } = await pool.query<{ waiting: boolean }>(
      `SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = $1`,
      [pid],
    );
    if (rows[0]?.waiting) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Two Buddy user ids whose reference locks are taken in the wanted order (locks go by key hash). */
async function userIds(participantLockedFirst: boolean): Promise<[string, string]> {
  for (;;) {
    const [p, b] = [randomUUID(), randomUUID()];
    const { rows } = await pool.query<{ first: boolean }>(
      `SELECT hashtext('user:' || $1) < hashtext('user:' || $2) AS first`,
      [p, b],
    );
    if (rows[0]!.first === participantLockedFirst) return [p, b];
  }
}

describe('parking while the references are being created', () => {
  it.each([
    ['the participant', true],
    ['the buddy', false],
  ])(
    'a match whose people register in two open transactions ends applied (%s locked first)',
    async (_, order) => {
      const [participantId, buddyId] = await userIds(order);
      const participant = {
        ...sampleUsers.participant,
        userId: participantId,
        email: `${participantId}@example.org`,
      };
      const buddy = { ...sampleUsers.buddy, userId: buddyId, email: `${buddyId}@example.org` };
      const matchId = randomUUID();
      const match = event(
        'buddy.match.created',
        {
          ...validData['buddy.match.created'],
          matchId,
          participantId: participant.userId,
          buddyId: buddy.userId,
        },
        '2025-01-10T10:00:00.000Z',
      );

      // 1. The participant registers; the transaction stays open (it holds the participant's lock).
      const registersParticipant = await open([
        event('buddy.user.registered', participant, '2025-01-06T09:00:00.000Z'),
      ]);
      await registersParticipant.applied;
      // 2. The match comes: the participant is not visible yet, so it waits for the participant's lock.
      const appliesMatch = await open([match]);
      expect(await blockedOrDone(appliesMatch.pid, appliesMatch.applied)).toBe(true);
      // 3. The buddy registers meanwhile, looks for events parked on the buddy (none yet), stays open, or
      //    waits if the match's transaction holds the buddy's lock.
      const registersBuddy = await open([event('buddy.user.registered', buddy, '2025-01-06T09:30:00.000Z')]);
      await blockedOrDone(registersBuddy.pid, registersBuddy.applied);
      // 4. The participant commits: the match sees the participant, but not the buddy (uncommitted).
      await registersParticipant.commit();
      const matchState = await Promise.race([
        appliesMatch.applied.then(() => 'done' as const),
        blockedOrDone(appliesMatch.pid, appliesMatch.applied).then((b) =>
          b ? ('blocked' as const) : ('done' as const),
        ),
      ]);
      if (matchState === 'done') {
        // It parked (or applied) without waiting for the buddy: commit it first, then the buddy.
        await appliesMatch.commit();
        await registersBuddy.commit();
      } else {
        await registersBuddy.commit();
        await appliesMatch.commit();
      }

      const matches = await pool.query('SELECT participant_id, buddy_id FROM buddy_matches WHERE id = $1', [
        matchId,
      ]);
      const parked = await pool.query(
        'SELECT waiting_for_kind, waiting_for_ref FROM parked_events WHERE event_id = $1',
        [match.id],
      );
      expect(parked.rows).toEqual([]);
      expect(matches.rowCount).toBe(1);
    },
  );
});

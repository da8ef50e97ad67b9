// Identity resolution (src/pipeline/identity.ts, sql/migrations/0113, its arrays read as rows since
// 0115): fresh registrations are applied in one statement before the per-event loop. Here the same
// batches, full of collisions (one Buddy id registered twice, an email another user or another event of
// the batch has, updates before and after their registration, emails moving between users), go through
// the newest function in one database and through the one-by-one function it replaced (0103, restored by
// the down migrations from 0113 on) in another: the outcomes and the users, links and mappings must be
// the same.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/ops/logger.ts';
import { applyUserEvents, type IdentityOutcome, type UserEvent } from '../../src/pipeline/identity.ts';
import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR, migrate } from '../../src/store/migrate.ts';
import { Random } from '../../src/synthetic/random.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/** A logger whose lines are kept: the outcomes applyUserEvents logs (linked by email, email kept...). */
function keptLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const { msg, buddyUserId } = JSON.parse(line) as { msg: string; buddyUserId?: string };
        lines.push(`${buddyUserId} ${msg}`);
      }
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info', destination }) };
}
let bulkDb: TestDatabase;
let loopDb: TestDatabase;
let bulk: pg.Client;
let loop: pg.Client;

beforeAll(async () => {
  bulkDb = await createTestDatabase('identity_bulk');
  loopDb = await createTestDatabase('identity_loop');
  // Down to before 0113: it and every migration after it.
  const fromIdentity = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && f >= '0113_');
  await migrate({ databaseUrl: loopDb.url, direction: 'down', count: fromIdentity.length });
  bulk = new pg.Client({ connectionString: bulkDb.url });
  loop = new pg.Client({ connectionString: loopDb.url });
  await Promise.all([bulk.connect(), loop.connect()]);
});
afterAll(async () => {
  await Promise.all([bulk?.end(), loop?.end()]);
  await Promise.all([bulkDb?.drop(), loopDb?.drop()]);
});

const functionSource = async (client: pg.Client) =>
  (
    await client.query<{ src: string }>(
      `SELECT prosrc AS src FROM pg_proc WHERE proname = 'buddy_stream_apply_user_events'`,
    )
  ).rows[0]!.src;

/** Batches of user events over a small pool of Buddy ids and emails, so that they collide often. */
function batches(seed: string, count: number, size: number): UserEvent[][] {
  const rng = new Random(seed);
  const buddyIds = Array.from({ length: 120 }, () => rng.uuid());
  const emails = Array.from({ length: 30 }, (_, i) => `person${i}@example.test`);
  const start = Date.parse('2026-03-01T00:00:00.000Z');
  return Array.from({ length: count }, (_, b) =>
    Array.from({ length: size }, () => {
      const userId = rng.pick(buddyIds);
      const fresh = rng.chance(0.6);
      return {
        id: rng.uuid(),
        type: rng.chance(0.75) ? 'buddy.user.registered' : 'buddy.user.updated',
        version: 'v1',
        // Later batches are later on the whole, with overlaps (stale profiles).
        timestamp: new Date(start + (b * 40 + rng.int(0, 80)) * 60_000 + rng.int(0, 3) * 1000).toISOString(),
        data: {
          userId,
          // Mostly an email of its own, sometimes one of another Buddy id.
          email: fresh ? `${userId}@example.test` : rng.pick(emails),
          firstName: `F${rng.int(0, 9)}`,
          lastName: rng.chance(0.5) ? `L${rng.int(0, 9)}` : undefined,
          role: rng.pick(['participant', 'buddy'] as const),
          joinedAt: new Date(start).toISOString(),
          languagePreference: rng.pick(['en', 'de', 'uk']),
        },
      } as UserEvent;
    }),
  );
}

/** Users, links and mappings, every user named by its email (ids differ between the databases). */
async function dump(client: pg.Client) {
  const users = await client.query(`SELECT email, role, first_name, last_name FROM users ORDER BY email`);
  const links = await client.query(
    `SELECT x.external_id, u.email, x.metadata FROM user_external_ids x JOIN users u ON u.id = x.profile_id
      WHERE x.provider = 'buddy' ORDER BY x.external_id`,
  );
  const mappings = await client.query(
    `SELECT m.external_id, u.email FROM external_id_mappings m JOIN users u ON u.id = m.user_id
      WHERE m.external_system = 'buddy' ORDER BY m.external_id`,
  );
  return { users: users.rows, links: links.rows, mappings: mappings.rows };
}

async function emailsById(client: pg.Client): Promise<Map<string, string>> {
  const { rows } = await client.query<{ id: string; email: string }>(
    'SELECT id::text AS id, email FROM users',
  );
  return new Map(rows.map((r) => [r.id, r.email]));
}

/** Applies the batches one transaction each; the outcomes, the log and the tables after each batch. */
async function applyAll(client: pg.Client, all: UserEvent[][]) {
  const outcomes: Map<string, IdentityOutcome>[] = [];
  const after: Awaited<ReturnType<typeof dump>>[] = [];
  const { lines, log } = keptLog();
  for (const events of all) {
    await client.query('BEGIN');
    outcomes.push(await applyUserEvents(client as unknown as pg.PoolClient, events, log));
    await client.query('COMMIT');
    after.push(await dump(client));
  }
  await new Promise((resolve) => setImmediate(resolve)); // the logger's last lines
  return { outcomes: named(outcomes, await emailsById(client)), log: lines, after };
}

/** Outcomes with user ids replaced by the user's final email. */
function named(outcomes: Map<string, IdentityOutcome>[], email: Map<string, string>) {
  return outcomes.map((batch) =>
    Object.fromEntries(
      [...batch].map(([eventId, o]) => [
        eventId,
        o.kind === 'applied' ? { kind: o.kind, linked: o.linked, user: email.get(o.userId) } : o,
      ]),
    ),
  );
}

describe('identity resolution of a batch', () => {
  it('gives the same outcomes and users as the one-by-one function it replaced', async () => {
    expect(await functionSource(bulk)).toContain('v_fresh');
    expect(await functionSource(bulk)).toContain('WITH ORDINALITY'); // 0115, the newest
    expect(await functionSource(loop)).not.toContain('v_fresh');
    // Someone the platform already knows, by email only (linked by email, never created).
    for (const client of [bulk, loop])
      await client.query(`INSERT INTO users (email, role) VALUES ('person0@example.test', 'company_user')`);

    const all = batches('identity', 6, 80);
    const fromBulk = await applyAll(bulk, all);
    const fromLoop = await applyAll(loop, all);

    expect(fromBulk.outcomes).toEqual(fromLoop.outcomes);
    expect(fromBulk.log).toEqual(fromLoop.log);
    for (let b = 0; b < all.length; b++)
      expect(fromBulk.after[b], `after batch ${b}`).toEqual(fromLoop.after[b]);

    // Both paths were taken: fresh registrations, and every kind of outcome of the loop.
    expect(fromBulk.after.at(-1)!.users.length).toBeGreaterThan(60);
    const kinds = new Set(
      fromBulk.outcomes.flatMap((b) =>
        Object.values(b).map((o) => ('linked' in o ? `linked=${o.linked}` : o.kind)),
      ),
    );
    expect(kinds).toEqual(new Set(['linked=true', 'linked=false', 'parked']));
    expect(new Set(fromBulk.log.map((line) => line.split(' ').slice(1).join(' ')))).toEqual(
      new Set([
        'Buddy user linked to an existing user by email',
        'email changed for a linked Buddy user',
        'new email belongs to another user; kept',
      ]),
    );
  });
});

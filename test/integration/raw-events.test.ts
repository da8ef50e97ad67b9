// The raw store's insert against the real Postgres: new events are COPYed straight into
// buddy_system_events, and an id another consumer stored meanwhile (committed before, or committing
// while this COPY waits on it) is skipped, not stored twice, and does not abort the batch's transaction.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CopyValue } from '../../src/store/copy-writer.ts';
import { storeRawEvents } from '../../src/store/raw-events.ts';
import { ensureStaging } from '../../src/store/staging.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
const clients: pg.Client[] = [];
beforeAll(async () => {
  db = await createTestDatabase('raw_events');
});
afterAll(async () => {
  for (const c of clients) await c.end().catch(() => undefined);
  await db.drop();
});

async function open(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  clients.push(c);
  return c;
}

function row(eventId: string, note: string): CopyValue[] {
  const payload = { id: eventId, type: 'buddy.event.logged', note };
  return [eventId, 'buddy.event.logged', 'u-1', '2026-01-01T00:00:00Z', payload, null, null, null, []];
}

async function stored(c: pg.Client, ids: string[]) {
  const { rows } = await c.query<{ event_id: string; note: string }>(
    `SELECT event_id::text AS event_id, payload->>'note' AS note FROM buddy_system_events
      WHERE event_id = ANY($1::uuid[]) ORDER BY payload->>'note'`,
    [ids],
  );
  return rows;
}

describe('storeRawEvents', () => {
  it('stores new events and returns their ids', async () => {
    const c = await open();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await c.query('BEGIN');
    await ensureStaging(c);
    const ok = await storeRawEvents(
      c,
      ids.map((id, i) => row(id, `n${i}`)),
    );
    await c.query('COMMIT');
    expect([...ok].sort()).toEqual([...ids].sort());
    expect((await stored(c, ids)).map((r) => r.note)).toEqual(['n0', 'n1', 'n2']);
  });

  it('skips an id stored since by another consumer; the rest is stored and the transaction goes on', async () => {
    const [mine, other] = [await open(), await open()];
    const [taken, fresh] = [randomUUID(), randomUUID()];
    await mine.query('BEGIN');
    await ensureStaging(mine);
    await other.query('BEGIN');
    await ensureStaging(other);
    await storeRawEvents(other, [row(taken, 'theirs')]);
    await other.query('COMMIT');
    const ok = await storeRawEvents(mine, [row(fresh, 'mine fresh'), row(taken, 'mine taken')]);
    expect([...ok]).toEqual([fresh]);
    await mine.query('SELECT 1');
    await mine.query('COMMIT');
    expect(await stored(mine, [taken, fresh])).toEqual([
      { event_id: fresh, note: 'mine fresh' },
      { event_id: taken, note: 'theirs' },
    ]);
  });

  it('waits for a consumer storing the same id, then skips it once that one commits', async () => {
    const [mine, other] = [await open(), await open()];
    const [taken, fresh] = [randomUUID(), randomUUID()];
    await other.query('BEGIN');
    await ensureStaging(other);
    await storeRawEvents(other, [row(taken, 'theirs')]);
    await mine.query('BEGIN');
    await ensureStaging(mine);
    const pending = storeRawEvents(mine, [row(taken, 'mine taken'), row(fresh, 'mine fresh')]);
    let settled = false;
    void pending.finally(() => (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    await other.query('COMMIT');
    expect([...(await pending)]).toEqual([fresh]);
    await mine.query('COMMIT');
    expect((await stored(mine, [taken, fresh])).map((r) => r.note)).toEqual(['mine fresh', 'theirs']);
  });
});

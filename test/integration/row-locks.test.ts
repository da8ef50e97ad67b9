// Row locks a batch takes on users must not block rows that only refer to those users. A batch records
// its users' last activity early (SQL.recordActivity) and takes their derived locks later; the journey
// sweep holds derived locks and inserts journey flags, whose foreign key check locks the user row
// (FOR KEY SHARE). With the activity's rows locked FOR UPDATE, the two waited for each other: a deadlock
// (seen in `npm run bench`, the sweep the victim after deadlock_timeout, the batch stalled a second).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SQL } from '../../src/store/statements.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let batch: pg.Client;
let other: pg.Client;
const user = randomUUID();

beforeAll(async () => {
  db = await createTestDatabase('rowlocks');
  batch = new pg.Client({ connectionString: db.url });
  other = new pg.Client({ connectionString: db.url });
  await Promise.all([batch.connect(), other.connect()]);
  await batch.query(`INSERT INTO users (id, email, role) VALUES ($1, $2, 'participant')`, [
    user,
    `${user}@example.test`,
  ]);
});
afterAll(async () => {
  await Promise.all([batch?.end(), other?.end()]);
  await db?.drop();
});

describe('a batch recording its users activity', () => {
  it('lets another transaction insert rows referring to those users meanwhile', async () => {
    await batch.query('BEGIN');
    const recorded = await batch.query(SQL.recordActivity, [[user], ['2026-11-29T09:00:00.000Z']]);
    expect(recorded.rowCount).toBe(1);
    try {
      await other.query('BEGIN');
      // Fails with lock_not_available (55P03) if the user's row is locked against FOR KEY SHARE.
      await other.query(`SET LOCAL lock_timeout = '2s'`);
      const flag = await other.query(
        `INSERT INTO journey_flags (user_id, flag, value, set_by_rule, set_at)
         VALUES ($1, 'buddy_checkin_due', true, 'test', now())`,
        [user],
      );
      expect(flag.rowCount).toBe(1);
      await other.query('COMMIT');
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await batch.query('COMMIT');
    }
    const row = await other.query<{ last: string }>(
      `SELECT journey_flags->>'last_buddy_activity' AS last FROM users WHERE id = $1`,
      [user],
    );
    expect(row.rows[0]!.last).toBe('2026-11-29T09:00:00.000Z');
  });

  it('still makes a second batch recording the same user wait for the first (rows in one order)', async () => {
    await batch.query('BEGIN');
    await batch.query(SQL.recordActivity, [[user], ['2026-11-29T10:00:00.000Z']]);
    try {
      await other.query('BEGIN');
      await other.query(`SET LOCAL lock_timeout = '300ms'`);
      await expect(
        other.query(SQL.recordActivity, [[user], ['2026-11-29T11:00:00.000Z']]),
      ).rejects.toMatchObject({ code: '55P03' });
    } finally {
      await other.query('ROLLBACK');
      await batch.query('COMMIT');
    }
  });
});

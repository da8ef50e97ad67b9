import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recomputeCompanyMetrics } from '../../src/metrics/company-period.ts';
import {
  COMPANY_A,
  COMPANY_B,
  COMPANY_D,
  EXPECTED,
  SELECT_METRICS,
  seedCompanyMetricsFixture,
} from '../support/company-metrics-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('recomputeCompanyMetrics: metrics_company_period per company and UTC month', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const metrics = async () => (await pool.query(SELECT_METRICS, [COMPANY_D])).rows;

  beforeAll(async () => {
    db = await createTestDatabase('metrics');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await seedCompanyMetricsFixture(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('writes the hand-computed rows, whatever the session time zone', async () => {
    const client = await pool.connect();
    try {
      // Months are UTC months: in UTC+14 an event of March 31, 20:00 UTC would fall on April 1.
      await client.query(`SET TIME ZONE 'Pacific/Kiritimati'`);
      expect(await recomputeCompanyMetrics(client)).toBe(EXPECTED.length);
    } finally {
      client.release(true);
    }
    expect(await metrics()).toEqual(EXPECTED);
    // A's stale January row is gone; D (no buddy match) is left alone.
    const d = await pool.query(
      'SELECT participants_count FROM metrics_company_period WHERE company_id = $1',
      [COMPANY_D],
    );
    expect(d.rows).toEqual([{ participants_count: 7 }]);
    // A keeps its name; B gets a placeholder company row.
    const companies = await pool.query('SELECT id, name FROM companies ORDER BY id');
    expect(companies.rows).toEqual([
      { id: COMPANY_A, name: 'Acme' },
      { id: COMPANY_B, name: 'company 0b000000' },
      { id: COMPANY_D, name: 'Delta' },
    ]);
  });

  it('is idempotent: a second run writes the same rows, with the same ids', async () => {
    const ids = (await pool.query('SELECT id FROM metrics_company_period ORDER BY id')).rows;
    const client = await pool.connect();
    try {
      expect(await recomputeCompanyMetrics(client)).toBe(EXPECTED.length);
    } finally {
      client.release();
    }
    expect(await metrics()).toEqual(EXPECTED);
    expect((await pool.query('SELECT id FROM metrics_company_period ORDER BY id')).rows).toEqual(ids);
  });

  it('recomputes only the companies asked for', async () => {
    const [m5, m1] = ['00000000-0000-4000-8000-000000000105', '00000000-0000-4000-8000-000000000101'];
    await pool.query(
      `INSERT INTO buddy_events (id, match_id, event_date) VALUES
         ('00000000-0000-4000-8000-000000000207', $1, '2025-04-25T10:00:00Z'),
         ('00000000-0000-4000-8000-000000000208', $2, '2025-04-25T10:00:00Z')`,
      [m5, m1],
    );
    const client = await pool.connect();
    try {
      expect(await recomputeCompanyMetrics(client, { companyIds: [COMPANY_B.toUpperCase()] })).toBe(2);
    } finally {
      client.release();
    }
    const april = (await metrics()).filter((r) => r.period_start === '2025-04-01');
    expect(april.map((r) => [r.company_id, r.sessions_count])).toEqual([
      [COMPANY_A, 3], // not recomputed yet
      [COMPANY_B, 3],
    ]);
  });
});

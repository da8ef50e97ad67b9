import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPANY_B,
  COMPANY_D,
  EXPECTED,
  SELECT_METRICS,
  seedCompanyMetricsFixture,
} from '../support/company-metrics-fixture.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('bin/buddy-stream metrics recompute', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('metricscli');
    pool = new pg.Pool({ connectionString: db.url, max: 1 });
    await seedCompanyMetricsFixture(pool);
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('writes metrics_company_period for every company, then for one', async () => {
    const all = await runCli(['metrics', 'recompute'], env);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(all.stdout).toBe(
      `metrics: ${EXPECTED.length} metrics_company_period rows written for every company\n`,
    );
    expect((await pool.query(SELECT_METRICS, [COMPANY_D])).rows).toEqual(EXPECTED);

    const one = await runCli(['metrics', 'recompute', '--company', COMPANY_B], env);
    expect(one.code).toBe(0);
    expect(one.stdout).toBe('metrics: 2 metrics_company_period rows written for 1 company(ies)\n');
    expect((await pool.query(SELECT_METRICS, [COMPANY_D])).rows).toEqual(EXPECTED);
  });

  it('refuses a company that is not a UUID with a usage error', async () => {
    const result = await runCli(['metrics', 'recompute', '--company', 'acme'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--company.*must be a UUID/);
  });
});

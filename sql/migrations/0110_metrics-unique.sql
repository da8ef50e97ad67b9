-- One metrics_company_period row per company and period: recomputeCompanyMetrics (src/metrics/
-- company-period.ts) upserts on this key, so a recompute replaces a period's row instead of adding one.

-- Up Migration

CREATE UNIQUE INDEX metrics_company_period_company_period_unique
  ON metrics_company_period (company_id, period_start, period_end);

-- Down Migration

DROP INDEX metrics_company_period_company_period_unique;

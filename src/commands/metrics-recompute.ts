// `buddy-stream metrics recompute [--company <uuid>...]`: metrics_company_period from the tables, in one
// transaction.
import { InvalidArgumentError } from 'commander';
import pg from 'pg';
import type { Config } from '../config.ts';
import { recomputeCompanyMetrics } from '../metrics/company-period.ts';
import type { Logger } from '../ops/logger.ts';
import { postgresConnection } from '../store/pg-connection.ts';

export async function metricsRecomputeCommand(
  config: Config,
  logger: Logger,
  options: { companies?: string[] } = {},
): Promise<number> {
  const client = new pg.Client(postgresConnection(config));
  await client.connect();
  try {
    await client.query('BEGIN');
    const rows = await recomputeCompanyMetrics(client, { companyIds: options.companies });
    await client.query('COMMIT');
    const scope = options.companies ? `${options.companies.length} company(ies)` : 'every company';
    logger.info({ rows, companies: options.companies ?? 'all' }, 'company metrics recomputed');
    process.stdout.write(`metrics: ${rows} metrics_company_period rows written for ${scope}\n`);
    return 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Commander argument parser of a repeatable `--company <uuid>`. */
export function collectCompanyId(value: string, previous: string[] = []): string[] {
  if (!UUID.test(value)) throw new InvalidArgumentError('must be a UUID');
  return [...previous, value.toLowerCase()];
}

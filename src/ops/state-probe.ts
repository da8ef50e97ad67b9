// The database state the gauges report at scrape time: parked events and the outbox backlog. Both
// queries read small indexed sets (parked_events; the outbox past the relay cursor, an index range scan).
import type pg from 'pg';
import type { StateSnapshot } from './metrics.ts';

const STATE_SQL = `SELECT
  (SELECT count(*)::int FROM parked_events) AS parked,
  (SELECT coalesce(extract(epoch FROM now() - min(parked_at)), 0)::float8 FROM parked_events) AS parked_age,
  (SELECT count(*)::int FROM outbox_unsent) AS outbox,
  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM outbox_unsent) AS outbox_age`;

/** A probe for Metrics.setStateProbe; rejects after timeoutMs so a slow database never stalls a scrape. */
export function createStateProbe(pool: pg.Pool, timeoutMs = 2_000): () => Promise<StateSnapshot> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`state probe took over ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const query = pool.query<{ parked: number; parked_age: number; outbox: number; outbox_age: number }>(
        STATE_SQL,
      );
      const row = (await Promise.race([query, timeout])).rows[0]!;
      return {
        parked: row.parked,
        parkedOldestAgeSeconds: row.parked_age,
        outboxBacklog: row.outbox,
        outboxOldestAgeSeconds: row.outbox_age,
      };
    } finally {
      clearTimeout(timer);
    }
  };
}

// The one table that classifies Postgres errors: retry (the same work can succeed later), reject the
// record (the data itself is what Postgres refuses), or stop (a bug or a broken deployment).
import { INSERT_ONLY_TABLES } from './statements.ts';

export type PgErrorClass = 'retry' | 'reject' | 'fatal';

const RETRY_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown (pg_terminate_backend, restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
]);

/** Error classes whose cause is the record's own data. */
const REJECT_CLASSES = new Set(['22', '23']); // data_exception, integrity_constraint_violation

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * Unique violations that a concurrent transaction caused, not the record: the keys a batch checks before
 * it COPYs rows straight into their table (store/staging.ts, storeNewEvents and insertNewRows). Retried,
 * the check sees the other transaction's row and leaves it out.
 */
const RACED_CONSTRAINTS = new Set([
  'buddy_events_event_id_idx',
  ...INSERT_ONLY_TABLES.map((table) => `${table}_pkey`),
]);

export function classifyPgError(error: unknown): PgErrorClass {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (code === '23505' && RACED_CONSTRAINTS.has((error as { constraint?: string }).constraint ?? ''))
      return 'retry';
    if (RETRY_CODES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code)) return 'retry';
    if (REJECT_CLASSES.has(code.slice(0, 2))) return 'reject';
    return 'fatal';
  }
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports a dropped connection without a SQLSTATE.
  if (/Connection terminated|connection is closed|Client has encountered a connection error/i.test(message)) {
    return 'retry';
  }
  return 'fatal';
}

/** A reason safe to log and to put in a dead letter: SQLSTATE and constraint, never the values. */
export function describePgRejection(error: unknown): string {
  const e = error as { code?: string; constraint?: string; table?: string; column?: string };
  const where = [
    e.table && `table ${e.table}`,
    e.column && `column ${e.column}`,
    e.constraint && `constraint ${e.constraint}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `database rejected the event: SQLSTATE ${e.code ?? 'unknown'}${where ? ` (${where})` : ''}`;
}

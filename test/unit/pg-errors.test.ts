// The one table classifying Postgres errors: what is retried, what dead-letters the record, what stops.
import { describe, expect, it } from 'vitest';
import { classifyPgError, describePgRejection } from '../../src/store/pg-errors.ts';

const pgError = (code: string, extra: Record<string, string> = {}) =>
  Object.assign(new Error('from Postgres'), { code, ...extra });

describe('classifyPgError', () => {
  it.each([
    ['40P01', 'retry'], // deadlock
    ['40001', 'retry'], // serialization failure
    ['57P01', 'retry'], // terminated by an administrator (restart)
    ['08006', 'retry'], // connection failure
    ['22P02', 'reject'], // invalid text representation: the record's data
    ['23503', 'reject'], // foreign key violation
    ['42P01', 'fatal'], // undefined table: a broken deployment, never retried
  ])('%s is %s', (code, expected) => {
    expect(classifyPgError(pgError(code))).toBe(expected);
  });

  it('retries a unique violation on a key checked before a COPY (another transaction won the race)', () => {
    for (const constraint of ['buddy_events_event_id_idx', 'outbox_pkey', 'buddy_checkins_pkey'])
      expect(classifyPgError(pgError('23505', { constraint }))).toBe('retry');
  });

  it('rejects a unique violation on any other constraint: the record conflicts, retrying cannot help', () => {
    expect(classifyPgError(pgError('23505', { constraint: 'users_email_key' }))).toBe('reject');
    expect(classifyPgError(pgError('23505'))).toBe('reject');
  });

  it('retries a dropped connection, which node-postgres reports without a SQLSTATE', () => {
    expect(classifyPgError(new Error('Connection terminated unexpectedly'))).toBe('retry');
    expect(classifyPgError(new Error('something else'))).toBe('fatal');
  });

  it('describes a rejection by SQLSTATE and constraint, never by the values', () => {
    const error = pgError('23505', {
      constraint: 'users_email_key',
      table: 'users',
      detail: 'Key (email)=(ada@example.org) already exists.',
    });
    const reason = describePgRejection(error);
    expect(reason).toBe(
      'database rejected the event: SQLSTATE 23505 (table users, constraint users_email_key)',
    );
    expect(reason).not.toContain('ada@example.org');
  });
});

// Transaction-scoped advisory locks on references (a Buddy user id, a match id). A transaction that
// parks an event on a reference, and one that creates the reference and unparks, both take the lock:
// whichever comes second sees the other's committed work, so no parked event is left behind.
import type pg from 'pg';
import type { BuddyEvent } from '../contracts/index.ts';
import { referencesOf } from './project/index.ts';
import type { WaitingFor } from './project/types.ts';

/** Namespace of buddy-stream's reference locks (the first key of the two-key advisory lock). */
export const REFERENCE_LOCK_SPACE = 0x42554459; // 'BUDY'

const LOCK = `SELECT pg_advisory_xact_lock($1::int, k)
  FROM (SELECT DISTINCT hashtext(r) AS k FROM unnest($2::text[]) AS r) keys ORDER BY k`;

/** A reference a transaction waits for, or `derived`: a CSR user whose derived state it recomputes. */
export type LockedReference = WaitingFor | { kind: 'derived'; ref: string };

export async function lockReferences(tx: pg.PoolClient | pg.Client, refs: LockedReference[]): Promise<void> {
  if (refs.length === 0) return;
  // Sorted keys: two transactions locking overlapping sets cannot deadlock within one call.
  await tx.query(LOCK, [REFERENCE_LOCK_SPACE, refs.map((r) => `${r.kind}:${r.ref}`)]);
}

/** Every user and match an event refers to: what it may be parked on, one reference or another. */
export function lockableReferencesOf(event: BuddyEvent): LockedReference[] {
  const { users, matches } = referencesOf(event);
  return [
    ...users.map((ref) => ({ kind: 'user' as const, ref })),
    ...matches.map((ref) => ({ kind: 'match' as const, ref })),
  ];
}

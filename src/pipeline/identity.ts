// Identity resolution for user events: Buddy user id -> CSR users.id through user_external_ids
// (provider 'buddy'), then email, else a new user; the profile follows the latest event time. The rules
// run in the database (sql/migrations/0103_identity-function.sql), a whole batch in one round trip.
import type pg from 'pg';
import type { BuddyEventOf } from '../contracts/index.ts';
import type { Logger } from '../ops/logger.ts';

export type UserEvent = BuddyEventOf<'buddy.user.registered'> | BuddyEventOf<'buddy.user.updated'>;

/** The seed's role mapping: Buddy participants are beneficiaries, buddies are volunteers. */
export const CSR_ROLE = { participant: 'beneficiary', buddy: 'volunteer' } as const;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** What user_external_ids.metadata keeps of a Buddy profile, and which event it came from. */
export function buddyProfileMetadata(event: UserEvent): Record<string, unknown> {
  const d = event.data;
  return Object.fromEntries(
    Object.entries({
      buddy_role: d.role,
      buddy_joined_at: d.joinedAt,
      buddy_language_preference: d.languagePreference,
      buddy_interests: d.interests,
      buddy_location: d.location,
      buddy_profile_at: event.timestamp,
      buddy_profile_event_id: event.id,
    }).filter(([, v]) => v !== undefined),
  );
}

export type IdentityOutcome =
  | { kind: 'applied'; userId: string; linked: boolean }
  | { kind: 'parked'; waitingFor: { kind: 'user'; ref: string } };

const APPLY_USER_EVENTS = `SELECT out_event_id::text AS event_id, out_outcome AS outcome, out_user_id::text AS user_id
  FROM buddy_stream_apply_user_events($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::timestamptz[], $9::jsonb[])`;

type BulkOutcome =
  'created' | 'linked_by_email' | 'updated' | 'email_changed' | 'email_kept' | 'stale' | 'parked';

/** Resolves a batch of user events in event-time order; the outcome of each, by event id. */
export async function applyUserEvents(
  tx: pg.PoolClient,
  events: UserEvent[],
  log: Logger,
): Promise<Map<string, IdentityOutcome>> {
  const ordered = [...events].sort((a, b) =>
    a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
  );
  const { rows } = await tx.query<{ event_id: string; outcome: BulkOutcome; user_id: string | null }>(
    APPLY_USER_EVENTS,
    [
      ordered.map((e) => e.id),
      ordered.map((e) => e.type),
      ordered.map((e) => e.data.userId),
      ordered.map((e) => normaliseEmail(e.data.email)),
      ordered.map((e) => e.data.firstName ?? null),
      ordered.map((e) => e.data.lastName ?? null),
      ordered.map((e) => CSR_ROLE[e.data.role]),
      ordered.map((e) => e.timestamp),
      ordered.map((e) => JSON.stringify(buddyProfileMetadata(e))),
    ],
  );
  const buddyIdOf = new Map(ordered.map((e) => [e.id, e.data.userId]));
  const outcomes = new Map<string, IdentityOutcome>();
  for (const row of rows) {
    const buddyUserId = buddyIdOf.get(row.event_id)!;
    if (row.outcome === 'parked' || row.user_id === null) {
      outcomes.set(row.event_id, { kind: 'parked', waitingFor: { kind: 'user', ref: buddyUserId } });
      continue;
    }
    // A profile update with a new email is routine (info); a new email another user holds is not (warn).
    if (row.outcome === 'email_changed')
      log.info({ buddyUserId, userId: row.user_id }, 'email changed for a linked Buddy user');
    if (row.outcome === 'email_kept')
      log.warn({ buddyUserId, userId: row.user_id }, 'new email belongs to another user; kept');
    if (row.outcome === 'linked_by_email')
      log.info({ buddyUserId, userId: row.user_id }, 'Buddy user linked to an existing user by email');
    const linked = row.outcome === 'created' || row.outcome === 'linked_by_email';
    outcomes.set(row.event_id, { kind: 'applied', userId: row.user_id, linked });
  }
  return outcomes;
}

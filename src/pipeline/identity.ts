// Identity resolution for user events: Buddy user id -> CSR users.id through user_external_ids
// (provider 'buddy'), then email, else a new user; the profile follows the latest event time.
// User events are rare next to activity events, so they are applied one by one.
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

/** Event-time order of profiles: later timestamp wins, ties broken by event id. */
export function isNewerProfile(event: UserEvent, stored: Record<string, unknown> | null): boolean {
  const at = stored?.buddy_profile_at;
  if (typeof at !== 'string') return true;
  const cmp = Date.parse(event.timestamp) - Date.parse(at);
  if (cmp !== 0) return cmp > 0;
  return event.id > String(stored?.buddy_profile_event_id ?? '');
}

const Q = {
  link: `SELECT x.profile_id::text AS user_id, x.metadata, u.email FROM user_external_ids x
    JOIN users u ON u.id = x.profile_id
    WHERE x.provider = 'buddy' AND x.external_id = $1 FOR UPDATE OF x`,
  byEmail: 'SELECT id::text AS user_id FROM users WHERE email = $1 FOR UPDATE',
  // Another partition may create a user with this email at the same moment: then link to that one.
  createUser: `INSERT INTO users (email, role, first_name, last_name) VALUES ($1, $2, $3, $4)
    ON CONFLICT (email) DO UPDATE SET updated_at = users.updated_at
    RETURNING id::text AS user_id`,
  link1: `INSERT INTO user_external_ids (profile_id, provider, external_id, metadata) VALUES ($1, 'buddy', $2, $3)
    ON CONFLICT (provider, external_id) DO NOTHING`,
  link2: `INSERT INTO external_id_mappings (user_id, external_system, external_id) VALUES ($1, 'buddy', $2)
    ON CONFLICT (external_system, external_id) DO NOTHING`,
  emailOwner: 'SELECT id::text AS user_id FROM users WHERE email = $1 AND id <> $2',
  // A Buddy profile never overwrites the role of an admin or company user linked by email.
  updateProfile: `UPDATE users SET email = $2, first_name = $3, last_name = $4,
      role = CASE WHEN role IN ('admin', 'company_user') THEN role ELSE $5 END, updated_at = now()
    WHERE id = $1`,
  updateLinkMetadata: `UPDATE user_external_ids SET metadata = coalesce(metadata, '{}'::jsonb) || $2, updated_at = now()
    WHERE provider = 'buddy' AND external_id = $1`,
} as const;

export type IdentityOutcome =
  | { kind: 'applied'; userId: string; linked: boolean }
  | { kind: 'parked'; waitingFor: { kind: 'user'; ref: string } };

export async function applyUserEvent(
  tx: pg.PoolClient,
  event: UserEvent,
  log: Logger,
): Promise<IdentityOutcome> {
  const d = event.data;
  const email = normaliseEmail(d.email);
  const role = CSR_ROLE[d.role];
  const existing = await tx.query(Q.link, [d.userId]);
  const link = existing.rows[0] as
    { user_id: string; metadata: Record<string, unknown> | null; email: string } | undefined;

  if (link) {
    if (!isNewerProfile(event, link.metadata))
      return { kind: 'applied', userId: link.user_id, linked: false };
    let nextEmail = email;
    if (link.email !== email) {
      const owner = await tx.query(Q.emailOwner, [email, link.user_id]);
      if (owner.rowCount) {
        const otherUserId = owner.rows[0].user_id as string;
        log.warn(
          { buddyUserId: d.userId, userId: link.user_id, otherUserId },
          'new email belongs to another user; kept',
        );
        nextEmail = link.email;
      } else {
        log.warn({ buddyUserId: d.userId, userId: link.user_id }, 'email changed for a linked Buddy user');
      }
    }
    await tx.query(Q.updateProfile, [link.user_id, nextEmail, d.firstName ?? null, d.lastName ?? null, role]);
    await tx.query(Q.updateLinkMetadata, [d.userId, buddyProfileMetadata(event)]);
    return { kind: 'applied', userId: link.user_id, linked: false };
  }

  // An update for a Buddy id nobody registered yet waits for the registration.
  if (event.type === 'buddy.user.updated')
    return { kind: 'parked', waitingFor: { kind: 'user', ref: d.userId } };

  const byEmail = await tx.query(Q.byEmail, [email]);
  let userId: string;
  if (byEmail.rowCount) {
    userId = byEmail.rows[0].user_id as string;
    log.info({ buddyUserId: d.userId, userId }, 'Buddy user linked to an existing user by email');
    await tx.query(Q.updateProfile, [userId, email, d.firstName ?? null, d.lastName ?? null, role]);
  } else {
    const created = await tx.query(Q.createUser, [email, role, d.firstName ?? null, d.lastName ?? null]);
    userId = created.rows[0].user_id as string;
  }
  await tx.query(Q.link1, [userId, d.userId, buddyProfileMetadata(event)]);
  await tx.query(Q.link2, [userId, d.userId]);
  return { kind: 'applied', userId, linked: true };
}

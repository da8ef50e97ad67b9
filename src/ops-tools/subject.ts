// Who an operator means by "<user>": a CSR users.id, a Buddy user id, or an email; and which raw events
// and matches involve that person. Shared by replay --user and the GDPR commands. Read-only.
import type pg from 'pg';

export interface Subject {
  /** CSR users.id, or null when only the raw store knows the person (no user row). */
  userId: string | null;
  /** Buddy user ids of the person (lower case). */
  buddyIds: string[];
  email: string | null;
  /** True when the user row is an erasure tombstone. */
  tombstone: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Email domain of erasure tombstones: `erased-<id>@erased.invalid` (RFC 2606: never deliverable). */
export const TOMBSTONE_DOMAIN = 'erased.invalid';

const Q = {
  byId: 'SELECT id::text AS id, email FROM users WHERE id = $1::uuid',
  byEmail: 'SELECT id::text AS id, email FROM users WHERE email = $1',
  byBuddyId: `SELECT u.id::text AS id, u.email FROM user_external_ids x JOIN users u ON u.id = x.profile_id
    WHERE x.provider = 'buddy' AND lower(x.external_id) = lower($1)`,
  buddyIds: `SELECT lower(external_id) AS id FROM user_external_ids WHERE provider = 'buddy' AND profile_id = $1::uuid
    UNION SELECT lower(external_id) FROM external_id_mappings WHERE external_system = 'buddy' AND user_id = $1::uuid`,
  // Buddy ids whose user events carried this email (a person the users table may not know any more).
  buddyIdsByEmail: `SELECT DISTINCT lower(payload->'data'->>'userId') AS id FROM buddy_system_events
    WHERE event_type IN ('buddy.user.registered', 'buddy.user.updated') AND lower(trim(payload->'data'->>'email')) = $1`,
  rawBuddyId: `SELECT 1 FROM buddy_system_events WHERE lower(user_id) = lower($1)
    OR (event_type IN ('buddy.user.registered', 'buddy.user.updated') AND lower(payload->'data'->>'userId') = lower($1)) LIMIT 1`,
} as const;

type Client = pg.PoolClient | pg.Client | pg.Pool;

/** Resolves `<user>`; null when nothing in the database names that person. */
export async function findSubject(db: Client, who: string): Promise<Subject | null> {
  const text = who.trim();
  let user: { id: string; email: string } | undefined;
  const extraBuddyIds: string[] = [];
  if (text.includes('@')) {
    const email = text.toLowerCase();
    user = (await db.query(Q.byEmail, [email])).rows[0];
    extraBuddyIds.push(...(await db.query(Q.buddyIdsByEmail, [email])).rows.map((r) => r.id as string));
  } else if (UUID.test(text)) {
    user = (await db.query(Q.byId, [text])).rows[0] ?? (await db.query(Q.byBuddyId, [text])).rows[0];
    if (!user && (await db.query(Q.rawBuddyId, [text])).rowCount) extraBuddyIds.push(text.toLowerCase());
  } else {
    throw new Error('a user is a CSR user id (UUID), a Buddy user id (UUID) or an email address');
  }
  const linked = user ? (await db.query(Q.buddyIds, [user.id])).rows.map((r) => r.id as string) : [];
  const buddyIds = [...new Set([...linked, ...extraBuddyIds].filter(Boolean))];
  if (!user && buddyIds.length === 0) return null;
  return {
    userId: user?.id ?? null,
    buddyIds,
    email: user?.email ?? null,
    tombstone: user?.email.endsWith(`@${TOMBSTONE_DOMAIN}`) ?? false,
  };
}

/**
 * The match ids a person took part in, from the raw store (the truth) and the projection: $1 Buddy ids,
 * $2 the CSR user id (or NULL).
 */
export const MATCHES_OF = `SELECT DISTINCT lower(payload->'data'->>'matchId') AS id FROM buddy_system_events
    WHERE event_type IN ('buddy.match.created', 'buddy.match.ended')
      AND (lower(payload->'data'->>'participantId') = ANY($1::text[]) OR lower(payload->'data'->>'buddyId') = ANY($1::text[]))
  UNION SELECT id::text FROM buddy_matches WHERE participant_id = $2::uuid OR buddy_id = $2::uuid`;

/**
 * Raw events that involve a person (docs/projections.md, "involves"): their own events, events of their
 * matches, skill shares they learned or taught in. $1 Buddy ids, $2 their match ids. `payload` is the
 * whole record in either envelope; both keep the event's fields under `data`.
 */
export const EVENTS_OF = `SELECT event_id::text AS event_id, payload::text AS payload, "timestamp"
  FROM buddy_system_events
  WHERE lower(user_id) = ANY($1::text[])
     OR lower(payload->'data'->>'userId') = ANY($1::text[])
     OR lower(payload->'data'->>'participantId') = ANY($1::text[])
     OR lower(payload->'data'->>'buddyId') = ANY($1::text[])
     OR lower(payload->'data'->>'learnerId') = ANY($1::text[])
     OR lower(payload->'data'->>'teacherId') = ANY($1::text[])
     OR lower(payload->'data'->>'matchId') = ANY($2::text[])
  ORDER BY "timestamp", event_id`;

export async function matchesOf(db: Client, subject: Subject): Promise<string[]> {
  return (await db.query(MATCHES_OF, [subject.buddyIds, subject.userId])).rows.map((r) => r.id as string);
}

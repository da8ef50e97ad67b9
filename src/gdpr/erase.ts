// The right to be forgotten (seed: GDPR & Privacy). In one transaction: the person's matches and skill
// sessions move to a tombstone user with no personal data (their partners keep their history), every free
// text of those matches and sessions is redacted (set to NULL) with its Q2Q record and evidence text,
// their raw events are scrubbed, and the user row is deleted (its identity links, enrolment and journey
// rows go with it by CASCADE). Outcome scores and company metrics are kept: they hold no personal data.
import type pg from 'pg';
import type { Logger } from '../ops/logger.ts';
import { EVENTS_OF, TOMBSTONE_DOMAIN, matchesOf, type Subject } from '../ops-tools/subject.ts';
import { lockReferences } from '../pipeline/references.ts';
import { SQL } from '../store/statements.ts';
import { scrubPayload, type PersonalData } from './scrub.ts';
import { ERASE_SQL as Q } from './statements.ts';

export interface ErasureResult {
  userId: string | null;
  /** The user that now holds the person's matches and sessions (null when they had none). */
  tombstoneId: string | null;
  alreadyErased: boolean;
  counts: Record<string, number>;
}

export async function eraseSubject(
  pool: pg.Pool,
  subject: Subject,
  options: { dryRun?: boolean; log: Logger },
): Promise<ErasureResult> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await erase(tx, subject);
    await tx.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    options.log.info(
      {
        userId: subject.userId,
        tombstoneId: result.tombstoneId,
        counts: result.counts,
        dryRun: options.dryRun,
      },
      'erasure',
    );
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    tx.release();
  }
}

async function erase(tx: pg.PoolClient, subject: Subject): Promise<ErasureResult> {
  const counts: Record<string, number> = {};
  const count = (name: string, r: pg.QueryResult) => (counts[name] = (counts[name] ?? 0) + (r.rowCount ?? 0));
  const u = subject.userId;
  const pii = await personalData(tx, subject);
  const matches = await matchesOf(tx, subject);
  await lockReferences(tx, [
    ...(u ? [{ kind: 'derived' as const, ref: u }] : []),
    ...subject.buddyIds.map((ref) => ({ kind: 'user' as const, ref })),
    ...matches.map((ref) => ({ kind: 'match' as const, ref })),
  ]);

  // The tombstone takes over what the person shares with others (plain FKs: a match is two people's).
  let t = subject.tombstone ? u : null;
  if (u && !subject.tombstone) {
    const role = (await tx.query(Q.role, [u])).rows[0]?.role ?? 'beneficiary';
    t = (await tx.query<{ id: string }>(Q.createTombstone, [role, TOMBSTONE_DOMAIN])).rows[0]!.id;
    count('matches_reassigned', await tx.query(Q.reassignParticipant, [u, t]));
    count('matches_reassigned', await tx.query(Q.reassignBuddy, [u, t]));
    count('sessions_reassigned', await tx.query(Q.reassignLearner, [u, t]));
    count('sessions_reassigned', await tx.query(Q.reassignTeacher, [u, t]));
  }
  pii.replacementEmail = t ? `erased-${t}@${TOMBSTONE_DOMAIN}` : `erased@${TOMBSTONE_DOMAIN}`;

  // Every free text of their matches and sessions, whoever wrote it: it is about them.
  count('checkin_notes_redacted', await tx.query(Q.redactCheckins, [matches]));
  count('feedback_texts_redacted', await tx.query(Q.redactFeedback, [matches]));
  count('session_texts_redacted', await tx.query(Q.redactSessions, [t, matches]));
  count('activity_descriptions_redacted', await tx.query(Q.redactActivities, [matches]));
  const textIds = (await tx.query<{ id: string }>(Q.textIds, [t, matches])).rows.map((r) => r.id);
  count('outbox_texts_dropped', await tx.query(Q.dropUnsentTexts, [textIds]));
  count('outbox_texts_scrubbed', await tx.query(Q.scrubSentTexts, [textIds]));
  count('evidence_texts_cleared', await tx.query(Q.clearEvidence, [textIds]));
  if (u && t && u !== t) count('outbox_rows_reassigned', await tx.query(Q.reassignOutbox, [u, t]));

  counts['raw_events_scrubbed'] = await scrubRawEvents(tx, subject, matches, pii);

  if (u && t && u !== t) {
    const links = (
      await tx.query<{ external_id: string; metadata: Record<string, unknown> | null }>(Q.links, [u])
    ).rows;
    count('users_deleted', await tx.query(Q.deleteUser, [u]));
    // The Buddy ids now name the tombstone: late or replayed events of the person land there instead of
    // recreating them, and a replay converges. The ids are opaque UUIDs, kept in the raw store anyway.
    for (const link of links) {
      const m = link.metadata ?? {};
      const kept = {
        buddy_role: m['buddy_role'],
        buddy_profile_at: m['buddy_profile_at'],
        buddy_profile_event_id: m['buddy_profile_event_id'],
        erased: true,
      };
      await tx.query(Q.linkTombstone, [t, link.external_id, kept]);
    }
    await tx.query(SQL.refreshEnrollments, [[t]]);
    await tx.query(SQL.refreshMatchFlags, [[t]]);
  }
  return { userId: u, tombstoneId: t, alreadyErased: subject.tombstone, counts };
}

/** Emails and names the person used: the user row and every profile event of their Buddy ids. */
async function personalData(tx: pg.PoolClient, subject: Subject): Promise<PersonalData> {
  const emails = new Set<string>();
  const names = new Set<string>();
  const add = (email?: unknown, first?: unknown, last?: unknown) => {
    if (typeof email === 'string' && !email.endsWith(`@${TOMBSTONE_DOMAIN}`))
      emails.add(email.trim().toLowerCase());
    for (const n of [first, last]) if (typeof n === 'string' && n.trim()) names.add(n.trim());
  };
  if (subject.userId) {
    const row = (await tx.query(Q.profile, [subject.userId])).rows[0];
    add(row?.email, row?.first_name, row?.last_name);
  }
  for (const r of (await tx.query(Q.profileEvents, [subject.buddyIds])).rows)
    add(r.email, r.first_name, r.last_name);
  return { emails: [...emails], names: [...names], replacementEmail: '' };
}

async function scrubRawEvents(
  tx: pg.PoolClient,
  subject: Subject,
  matches: string[],
  pii: PersonalData,
): Promise<number> {
  const own = new Set<string>();
  const ids: string[] = [];
  const payloads: string[] = [];
  const scrub = (eventId: string, payload: string, ownEvent: boolean) => {
    const result = scrubPayload(JSON.parse(payload), pii, ownEvent);
    if (!result.changed) return;
    ids.push(eventId);
    payloads.push(JSON.stringify(result.payload));
  };
  for (const r of (
    await tx.query<{ event_id: string; payload: string }>(EVENTS_OF, [subject.buddyIds, matches])
  ).rows) {
    own.add(r.event_id);
    scrub(r.event_id, r.payload, true);
  }
  // Elsewhere only the email is looked for (a name alone is too common a word to search the store by).
  if (pii.emails.length > 0) {
    const others = await tx.query<{ event_id: string; payload: string }>(Q.mentioning, [
      pii.emails.map((e) => `%${e}%`),
    ]);
    for (const r of others.rows) if (!own.has(r.event_id)) scrub(r.event_id, r.payload, false);
  }
  if (ids.length > 0) await tx.query(Q.updatePayloads, [ids, payloads]);
  return ids.length;
}

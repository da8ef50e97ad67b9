// Writes what the journey rules decided: milestones (reached once; the earliest time wins), flags (a row
// per user and flag, written when the value or expiry changes), and an outbox record for each change.
import type pg from 'pg';
import type { OutboxRow } from '../q2q/text-record.ts';
import { writeOutbox } from '../store/staging.ts';
import {
  evaluateJourney,
  rulesInScope,
  type JourneyScope,
  type ReachedMilestone,
  type WantedFlag,
} from './evaluate.ts';
import { flagRecord, milestoneRecord, type ChangedFlag } from './records.ts';
import { JOURNEY_RULES } from './rules.ts';
import { readJourneyStates, type JourneyClock } from './state.ts';

const Q = {
  milestones: `INSERT INTO journey_milestones (user_id, milestone, reached_at, triggered_by_rule, metadata)
    SELECT u, m, r, t, '{"source":"journey-rules"}'::jsonb
    FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[]) AS x(u, m, r, t)
    -- Reached as early already: skipped here, since ON CONFLICT would lock (write) the row even unchanged.
    WHERE NOT EXISTS (SELECT 1 FROM journey_milestones j WHERE j.user_id = x.u AND j.milestone = x.m AND j.reached_at <= x.r)
    ON CONFLICT (user_id, milestone) DO UPDATE SET reached_at = EXCLUDED.reached_at
    WHERE EXCLUDED.reached_at < journey_milestones.reached_at
    RETURNING user_id::text AS user_id, milestone, reached_at, (xmax = 0) AS inserted`,
  // A false flag is only written over an existing row: no row means "never set".
  flags: `INSERT INTO journey_flags (user_id, flag, value, set_by_rule, set_at, expires_at)
    SELECT x.u, x.f, x.v, x.r, $5::timestamptz, x.e
    FROM unnest($1::uuid[], $2::text[], $3::boolean[], $4::text[], $6::timestamptz[]) AS x(u, f, v, r, e)
    LEFT JOIN journey_flags j ON j.user_id = x.u AND j.flag = x.f
    -- A new row only for a true flag; an existing one only when it changes (ON CONFLICT would lock, and
    -- so write, the row even unchanged).
    WHERE CASE WHEN j.user_id IS NULL THEN x.v
      ELSE j.value IS DISTINCT FROM x.v OR j.expires_at IS DISTINCT FROM x.e END
    ON CONFLICT (user_id, flag) DO UPDATE SET value = EXCLUDED.value, set_by_rule = EXCLUDED.set_by_rule,
      set_at = EXCLUDED.set_at, expires_at = EXCLUDED.expires_at
    WHERE journey_flags.value IS DISTINCT FROM EXCLUDED.value
       OR journey_flags.expires_at IS DISTINCT FROM EXCLUDED.expires_at
    RETURNING user_id::text AS user_id, flag, value, set_by_rule, set_at, expires_at`,
} as const;

export interface JourneyChanges {
  milestonesReached: number;
  flagsChanged: number;
}

/**
 * Evaluates the journey of `userIds` (their derived locks held by the caller) for the rules in `scope`,
 * and writes the changes with their outbox records (none when `publish` is false; the caller has made
 * the staging tables in this transaction: ensureStaging). The state of a user with no rule in scope is
 * not read.
 */
export async function applyJourney(
  tx: pg.PoolClient,
  userIds: string[],
  scope: JourneyScope,
  clock: JourneyClock,
  publish = true,
): Promise<JourneyChanges> {
  const evaluated = userIds.filter((u) => rulesInScope(JOURNEY_RULES, scope, u).length > 0);
  if (evaluated.length === 0) return { milestonesReached: 0, flagsChanged: 0 };
  const states = await readJourneyStates(tx, evaluated, clock);
  const outcome = evaluateJourney(JOURNEY_RULES, states, scope, clock.now);
  const outbox: OutboxRow[] = [];
  const reached = await writeMilestones(tx, outcome.milestones);
  for (const m of reached) outbox.push(milestoneRecord(m.userId, m.milestone, m.reachedAt, m.rule));
  const changed = await writeFlags(tx, outcome.flags, clock.now);
  for (const f of changed) outbox.push(flagRecord(f));
  if (publish) await writeOutbox(tx, outbox);
  return { milestonesReached: reached.length, flagsChanged: changed.length };
}

async function writeMilestones(
  tx: pg.PoolClient,
  milestones: ReachedMilestone[],
): Promise<ReachedMilestone[]> {
  if (milestones.length === 0) return [];
  const { rows } = await tx.query<{
    user_id: string;
    milestone: string;
    reached_at: Date;
    inserted: boolean;
  }>(Q.milestones, [
    milestones.map((m) => m.userId),
    milestones.map((m) => m.milestone),
    milestones.map((m) => m.reachedAt),
    milestones.map((m) => m.rule),
  ]);
  const ruleOf = new Map(milestones.map((m) => [`${m.userId}:${m.milestone}`, m.rule]));
  // Only a first reach is news; an earlier time found later corrects the row quietly.
  return rows
    .filter((r) => r.inserted)
    .map((r) => ({
      userId: r.user_id,
      milestone: r.milestone,
      reachedAt: r.reached_at.toISOString(),
      rule: ruleOf.get(`${r.user_id}:${r.milestone}`) ?? '',
    }));
}

async function writeFlags(tx: pg.PoolClient, flags: WantedFlag[], now: string): Promise<ChangedFlag[]> {
  if (flags.length === 0) return [];
  const { rows } = await tx.query<ChangedFlag>(Q.flags, [
    flags.map((f) => f.userId),
    flags.map((f) => f.flag),
    flags.map((f) => f.value),
    flags.map((f) => f.rule),
    now,
    flags.map((f) => f.expiresAt),
  ]);
  return rows;
}

// Applies events inside the caller's transaction: dedupe against the raw store, resolve, project,
// park what waits, write in bulk, then apply what the new users and matches unpark.
import type pg from 'pg';
import { parseEnvelope, primaryUserOf, type BuddyEvent, type EventType } from '../contracts/index.ts';
import type { RecordPosition } from '../errors.ts';
import type { Logger } from '../ops/logger.ts';
import { applyJourney } from '../journey/apply.ts';
import { rulesInScope, type JourneyScope } from '../journey/evaluate.ts';
import { JOURNEY_RULES } from '../journey/rules.ts';
import { recomputeCompanyMetrics } from '../metrics/company-period.ts';
import { readEventClock } from '../journey/state.ts';
import type { OutboxRow } from '../q2q/text-record.ts';
import type { CopyValue } from '../store/copy-writer.ts';
import { classifyPgError, describePgRejection } from '../store/pg-errors.ts';
import { ensureStaging, insertNewRows, storeNewEvents, writeOutbox } from '../store/staging.ts';
import { SQL, STAGING, type StagedTable } from '../store/statements.ts';
import { applyUserEvents } from './identity.ts';
import { isUserEvent, project, referencesOf } from './project/index.ts';
import {
  derivedTables,
  type Lookup,
  type MatchRef,
  type Projection,
  type TableRows,
  type UserInfo,
} from './project/types.ts';
import { lockableReferencesOf, lockReferences } from './references.ts';

export interface Incoming {
  event: BuddyEvent;
  /** The record as received, for buddy_system_events.payload; null when the event is stored already. */
  payloadText: string | null;
  position?: RecordPosition;
}

export interface ApplyStats {
  applied: number;
  parked: number;
  duplicates: number;
  unparked: number;
  /** Records enqueued in the outbox (new ones only). */
  outboxRecords: number;
  /** Journey milestones reached and flags changed by the rules. */
  journeyChanges: number;
  /** Unparked events Postgres refused: the caller dead-letters them and removes them from the raw store. */
  refused: { eventId: string; reason: string }[];
  appliedByType: Partial<Record<EventType, number>>;
  rowsByTable: Record<string, number>;
}

interface Outcome {
  item: Incoming;
  projection: Projection;
}

/** Dependency order: people before matches, matches before what happens in them. */
const WAVES: ((e: BuddyEvent) => boolean)[] = [
  (e) => isUserEvent(e),
  (e) => e.type === 'buddy.match.created',
  (e) => e.type === 'buddy.match.ended',
  (e) => !isUserEvent(e) && e.type !== 'buddy.match.created' && e.type !== 'buddy.match.ended',
];

export function emptyStats(): ApplyStats {
  return {
    applied: 0,
    parked: 0,
    duplicates: 0,
    unparked: 0,
    outboxRecords: 0,
    journeyChanges: 0,
    refused: [],
    appliedByType: {},
    rowsByTable: {},
  };
}

export interface ApplyOptions {
  /** The consumer group, whose stored offsets hold the event-time clock of the journey rules. */
  groupId: string;
  /** How long after a match ends its feedback may come before it is pending. */
  feedbackWindowMs: number;
  /**
   * false: enqueue no outbox records (Q2Q texts, journey changes). A replay publishes nothing, and
   * writing records only to delete them cost it about a tenth of its time. Default true.
   */
  publish?: boolean;
}

export async function applyEvents(
  tx: pg.PoolClient,
  incoming: Incoming[],
  log: Logger,
  options: ApplyOptions,
): Promise<ApplyStats> {
  const stats = emptyStats();
  await ensureStaging(tx);

  const known = await knownEventIds(
    tx,
    incoming.map((i) => i.event.id),
  );
  const queue = incoming.filter((i) => !known.has(i.event.id));
  stats.duplicates += incoming.length - queue.length;
  return applyQueue(tx, queue, stats, log, options, latestEventTime(incoming));
}

/**
 * Re-applies events that are in the raw store already (replay, event sourcing): the same waves, unparking,
 * derived state and journey rules as `applyEvents`, without the dedupe against the raw store (which would
 * skip them all). Events still without their user or match are parked again.
 */
export async function applyStoredEvents(
  tx: pg.PoolClient,
  events: BuddyEvent[],
  log: Logger,
  options: ApplyOptions,
): Promise<ApplyStats> {
  await ensureStaging(tx);
  const items = events.map((event): Incoming => ({ event, payloadText: null }));
  return applyQueue(tx, items, emptyStats(), log, options, latestEventTime(items));
}

async function applyQueue(
  tx: pg.PoolClient,
  incoming: Incoming[],
  stats: ApplyStats,
  log: Logger,
  options: ApplyOptions,
  batchTime: string | null,
): Promise<ApplyStats> {
  const state: State = { touched: new Map<string, Touched>(), publish: options.publish ?? true };
  let queue = incoming;
  // Round 0 applies the batch's own events; a refusal there is handled by the caller (record by record).
  // Later rounds apply what the new users and matches unparked: there a refused event is dead-lettered
  // alone, never the event that unparked it.
  let created = await applyRound(tx, queue, stats, state, log);
  for (let round = 1; ; round++) {
    queue = await unparkable(tx, created);
    if (queue.length === 0) break;
    created = await applyUnparked(tx, queue, stats, state, log);
    if (round > 1000) throw new Error('unparking did not converge after 1000 rounds');
  }
  const scope: JourneyScope = {
    triggers: new Map([...state.touched].map(([user, { types }]) => [user, types])),
  };
  // The users some journey rule is triggered for.
  const journey = [...state.touched.keys()].filter((u) => rulesInScope(JOURNEY_RULES, scope, u).length > 0);
  await refreshDerived(tx, state, journey);
  await evaluateJourneyRules(tx, journey, scope, state.publish, stats, options, batchTime);
  if (state.importCompleted) await recomputeCompanyMetrics(tx);
  return stats;
}

/** For each of `users`, the journey rules triggered by the event types applied for them (`scope`). */
async function evaluateJourneyRules(
  tx: pg.PoolClient,
  users: string[],
  scope: JourneyScope,
  publish: boolean,
  stats: ApplyStats,
  options: ApplyOptions,
  batchTime: string | null,
): Promise<void> {
  if (users.length === 0) return;
  const now = await readEventClock(tx, options.groupId, batchTime);
  if (now === null) return;
  const changes = await applyJourney(
    tx,
    users,
    scope,
    { now, feedbackWindowMs: options.feedbackWindowMs },
    publish,
  );
  stats.journeyChanges += changes.milestonesReached + changes.flagsChanged;
}

/** The latest event time of a batch: it moves the stream's event-time clock. */
export function latestEventTime(items: { event: BuddyEvent }[]): string | null {
  let latest: string | null = null;
  for (const { event } of items) if (latest === null || event.timestamp > latest) latest = event.timestamp;
  return latest;
}

type Created = { users: string[]; matches: string[] };
/** A user the batch touched: the latest activity time (null: none), the event types applied for them. */
type Touched = { at: string | null; types: Set<EventType> };
type State = {
  touched: Map<string, Touched>;
  /** ApplyOptions.publish. */
  publish: boolean;
  /** A `buddy.import.batch` complete event was applied: company metrics are recomputed. */
  importCompleted?: boolean;
};

async function applyRound(
  tx: pg.PoolClient,
  items: Incoming[],
  stats: ApplyStats,
  state: State,
  log: Logger,
) {
  const created: Created = { users: [], matches: [] };
  for (const wave of WAVES) {
    const waveItems = items.filter((i) => wave(i.event));
    if (waveItems.length > 0) await applyWave(tx, waveItems, created, stats, state, log);
  }
  return created;
}

async function applyUnparked(
  tx: pg.PoolClient,
  items: Incoming[],
  stats: ApplyStats,
  state: State,
  log: Logger,
) {
  const before = structuredClone(stats);
  const created = await inSavepoint(tx, () => applyRound(tx, items, stats, state, log));
  if (created !== REFUSED) {
    stats.unparked += items.filter((i) => !stats.refused.some((r) => r.eventId === i.event.id)).length;
    return created;
  }
  // One of them is refused by Postgres: find it by applying them one at a time.
  Object.assign(stats, before);
  const all: Created = { users: [], matches: [] };
  for (const item of items) {
    const one = await inSavepoint(tx, () => applyRound(tx, [item], stats, state, log));
    if (one === REFUSED) {
      stats.refused.push({ eventId: item.event.id, reason: refusedReason.get(tx) ?? 'refused' });
      log.warn(
        { eventId: item.event.id, type: item.event.type },
        'unparked event refused by Postgres; dead-lettered',
      );
      continue;
    }
    stats.unparked++;
    all.users.push(...one.users);
    all.matches.push(...one.matches);
  }
  return all;
}

const REFUSED = Symbol('refused');
const refusedReason = new WeakMap<pg.PoolClient, string>();

async function inSavepoint<T>(tx: pg.PoolClient, work: () => Promise<T>): Promise<T | typeof REFUSED> {
  await tx.query('SAVEPOINT unpark');
  try {
    const result = await work();
    await tx.query('RELEASE SAVEPOINT unpark');
    return result;
  } catch (error) {
    if (classifyPgError(error) !== 'reject') throw error;
    await tx.query('ROLLBACK TO SAVEPOINT unpark');
    refusedReason.set(tx, describePgRejection(error));
    return REFUSED;
  }
}

async function applyWave(
  tx: pg.PoolClient,
  items: Incoming[],
  created: { users: string[]; matches: string[] },
  stats: ApplyStats,
  state: State,
  log: Logger,
): Promise<void> {
  const outcomes: Outcome[] = [];
  if (isUserEvent(items[0]!.event)) {
    const events = items.map((i) => i.event).filter(isUserEvent);
    let results = await applyUserEvents(tx, events, log);
    const waiting = [...results.values()].filter((r) => r.kind === 'parked');
    if (waiting.length > 0) {
      // Lock what the parked updates wait for, then try them again (see lockReferences).
      await lockReferences(
        tx,
        waiting.map((w) => w.waitingFor),
      );
      const retry = events.filter((e) => results.get(e.id)?.kind === 'parked');
      results = new Map([...results, ...(await applyUserEvents(tx, retry, log))]);
    }
    for (const item of items) {
      const event = item.event;
      const result = results.get(event.id);
      if (!isUserEvent(event) || !result) continue;
      if (result.kind === 'parked') {
        outcomes.push({ item, projection: { kind: 'parked', waitingFor: result.waitingFor } });
        continue;
      }
      if (result.linked) created.users.push(event.data.userId);
      touch(state.touched, result.userId, null, event.type);
      outcomes.push({
        item,
        projection: { kind: 'applied', rows: {}, users: [], primaryBuddyId: event.data.userId },
      });
    }
  } else {
    let lookup = await resolve(tx, items);
    for (const item of items) outcomes.push({ item, projection: project(item.event, lookup) });
    const waiting = outcomes.filter((o) => o.projection.kind === 'parked');
    if (waiting.length > 0) {
      // Lock every reference they have, then look again: whatever one still waits for, a transaction
      // creating it either committed before the lock (we see it now) or will see our parked row when it
      // unparks under the same lock. Every reference, not only the one waited for: a match waits for its
      // participant, and once the participant is there, for its buddy.
      await lockReferences(
        tx,
        waiting.flatMap((o) => lockableReferencesOf(o.item.event)),
      );
      lookup = await resolve(
        tx,
        waiting.map((o) => o.item),
      );
      for (const o of waiting) o.projection = project(o.item.event, lookup);
    }
  }
  await writeOutcomes(tx, outcomes, created, stats, state);
}

async function writeOutcomes(
  tx: pg.PoolClient,
  outcomes: Outcome[],
  created: { users: string[]; matches: string[] },
  stats: ApplyStats,
  state: State,
): Promise<void> {
  const now = new Date().toISOString();
  // New events go to the raw store first. An id another transaction stored since the dedupe is skipped
  // as a duplicate (a few rows), or fails the batch, which is retried (many: see storeNewEvents).
  const fresh = outcomes.filter((o) => o.item.payloadText !== null);
  const rawRows = fresh.map(({ item, projection }) => rawRow(item, projection, now));
  const inserted = rawRows.length > 0 ? await storeNewEvents(tx, rawRows) : new Set<string>();
  const kept = outcomes.filter((o) => o.item.payloadText === null || inserted.has(o.item.event.id));
  stats.duplicates += outcomes.length - kept.length;

  const applied = kept.filter((o) => o.projection.kind === 'applied');
  const waiting = kept.filter((o) => o.projection.kind === 'parked');

  const rows: Required<TableRows> = {
    buddy_matches: [],
    match_ends: [],
    buddy_events: [],
    buddy_checkins: [],
    buddy_feedback: [],
    kintell_sessions: [],
    journey_milestones: [],
  };
  const outbox: OutboxRow[] = [];
  for (const { item, projection } of applied) {
    if (projection.kind !== 'applied') continue;
    if (projection.outbox) outbox.push(...projection.outbox);
    for (const [table, list] of Object.entries(projection.rows)) {
      (rows[table as keyof TableRows] as unknown[]).push(...(list as unknown[]));
    }
    if (item.event.type === 'buddy.import.batch' && item.event.data.phase === 'complete')
      state.importCompleted = true;
    const activityAt = isUserEvent(item.event) ? null : item.event.timestamp;
    for (const user of projection.users) touch(state.touched, user, activityAt, item.event.type);
    stats.applied++;
    stats.appliedByType[item.event.type] = (stats.appliedByType[item.event.type] ?? 0) + 1;
  }
  rows.match_ends = earliestEndPerMatch(rows.match_ends);
  rows.journey_milestones = earliestPerUserMilestone(rows.journey_milestones);
  for (const table of Object.keys(rows) as (keyof TableRows)[]) {
    const list = rows[table] as unknown as Record<string, CopyValue>[];
    if (list.length === 0) continue;
    const columns = STAGING[table as StagedTable].columns;
    const written = await insertNewRows(
      tx,
      table,
      list.map((row) => columns.map((c) => row[c])),
    );
    stats.rowsByTable[table] = (stats.rowsByTable[table] ?? 0) + written;
  }
  created.matches.push(...rows.buddy_matches.map((m) => m.id));
  if (state.publish) stats.outboxRecords += await writeOutbox(tx, outbox);

  // Events that were parked before and apply now: mark them processed and unpark them.
  const unparked = applied.filter((o) => o.item.payloadText === null);
  if (unparked.length > 0) {
    await tx.query(SQL.markApplied, [
      unparked.map((o) => o.item.event.id),
      unparked.map((o) => (o.projection.kind === 'applied' ? o.projection.primaryBuddyId : null)),
      unparked.map((o) =>
        JSON.stringify(o.projection.kind === 'applied' ? derivedTables(o.projection.rows) : []),
      ),
    ]);
  }
  if (waiting.length > 0) {
    const parkedRows = waiting.map((o) => ({
      o,
      w: (o.projection as Extract<Projection, { kind: 'parked' }>).waitingFor,
    }));
    await tx.query(SQL.park, [
      parkedRows.map((p) => p.o.item.event.id),
      parkedRows.map((p) => p.o.item.event.type),
      parkedRows.map((p) => p.w.kind),
      parkedRows.map((p) => p.w.ref),
      parkedRows.map((p) => p.o.item.position?.topic ?? null),
      parkedRows.map((p) => p.o.item.position?.partition ?? null),
      parkedRows.map((p) => p.o.item.position?.offset ?? null),
    ]);
    stats.parked += waiting.filter((o) => o.item.payloadText !== null).length;
  }
}

function rawRow(item: Incoming, projection: Projection, now: string): CopyValue[] {
  const { event } = item;
  const primary = primaryUserOf(event);
  const userId =
    projection.kind === 'applied'
      ? projection.primaryBuddyId
      : primary && 'buddyUserId' in primary
        ? primary.buddyUserId
        : null;
  const appliedNow = projection.kind === 'applied';
  return [
    event.id,
    event.type,
    userId,
    event.timestamp,
    item.payloadText,
    event.correlationId ?? null,
    event.metadata?.companyId ?? null,
    appliedNow ? now : null,
    appliedNow ? derivedTables(projection.rows) : [],
  ];
}

async function resolve(tx: pg.PoolClient, items: Incoming[]): Promise<Lookup> {
  const users = new Set<string>();
  const matches = new Set<string>();
  for (const { event } of items) {
    const refs = referencesOf(event);
    refs.users.forEach((u) => users.add(u));
    refs.matches.forEach((m) => matches.add(m));
  }
  const userIds = new Map<string, string>();
  const matchRefs = new Map<string, MatchRef>();
  const infos = new Map<string, UserInfo>();
  if (users.size > 0) {
    const result = await tx.query<{ external_id: string; user_id: string; language: string | null }>(
      SQL.lookupUsers,
      [[...users]],
    );
    for (const r of result.rows) {
      userIds.set(r.external_id, r.user_id);
      infos.set(r.user_id, { languagePreference: r.language ?? undefined });
    }
  }
  if (matches.size > 0) {
    const result = await tx.query<{
      id: string;
      participant_id: string;
      buddy_id: string;
      participant_buddy_id: string;
      company_id: string | null;
      participant_language: string | null;
      buddy_language: string | null;
    }>(SQL.lookupMatches, [[...matches]]);
    for (const r of result.rows) {
      matchRefs.set(r.id, {
        participantId: r.participant_id,
        buddyId: r.buddy_id,
        participantBuddyId: r.participant_buddy_id,
        companyId: r.company_id,
      });
      infos.set(r.participant_id, { languagePreference: r.participant_language ?? undefined });
      infos.set(r.buddy_id, { languagePreference: r.buddy_language ?? undefined });
    }
  }
  return { user: (id) => userIds.get(id), match: (id) => matchRefs.get(id), info: (id) => infos.get(id) };
}

/** Parked events whose user or match now exists, as stored events (locked against a concurrent unpark). */
async function unparkable(
  tx: pg.PoolClient,
  created: { users: string[]; matches: string[] },
): Promise<Incoming[]> {
  if (created.users.length === 0 && created.matches.length === 0) return [];
  await lockReferences(tx, [
    ...created.users.map((ref) => ({ kind: 'user' as const, ref })),
    ...created.matches.map((ref) => ({ kind: 'match' as const, ref })),
  ]);
  const result = await tx.query<{ event_id: string; payload: unknown }>(SQL.unparkable, [
    created.users,
    created.matches,
  ]);
  const items: Incoming[] = [];
  for (const row of result.rows) {
    const parsed = parseEnvelope(row.payload);
    // Stored payloads were valid when stored; a contract change that rejects one now is a bug to see.
    if (!parsed.ok) throw new Error(`stored event ${row.event_id} no longer parses: ${parsed.reason}`);
    items.push({ event: parsed.event, payloadText: null });
  }
  return items;
}

async function knownEventIds(tx: pg.PoolClient, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const result = await tx.query<{ id: string }>(SQL.knownEventIds, [ids]);
  return new Set(result.rows.map((r) => r.id));
}

/**
 * Derived per-user state. The activity time is merged atomically; enrolment and the match flags are
 * recomputed from the tables for the users a match or user event touched, under the users' derived
 * locks: without them two transactions touching the same user (a match ending on one partition, a
 * registration on another) could each compute from a snapshot without the other's change. The locks
 * also cover the users whose journey rules run after this.
 */
async function refreshDerived(tx: pg.PoolClient, { touched }: State, journey: string[]): Promise<void> {
  if (touched.size === 0) return;
  const users = [...touched.keys()];
  await tx.query(SQL.recordActivity, [users, users.map((u) => touched.get(u)!.at)]);
  const refreshed = users.filter((u) => [...touched.get(u)!.types].some(changesMatchesOrPeople));
  await lockReferences(
    tx,
    [...new Set([...refreshed, ...journey])].map((ref) => ({ kind: 'derived', ref })),
  );
  if (refreshed.length === 0) return;
  await tx.query(SQL.refreshEnrollments, [refreshed]);
  await tx.query(SQL.refreshMatchFlags, [refreshed]);
}

const changesMatchesOrPeople = (type: EventType) =>
  type.startsWith('buddy.match.') || type.startsWith('buddy.user.');

function touch(touched: Map<string, Touched>, user: string, at: string | null, type: EventType): void {
  const entry = touched.get(user);
  if (!entry) {
    touched.set(user, { at, types: new Set([type]) });
    return;
  }
  if (at !== null && (entry.at === null || at > entry.at)) entry.at = at;
  entry.types.add(type);
}

function earliestEndPerMatch<T extends { id: string; ended_at: string; end_reason: string }>(rows: T[]): T[] {
  const best = new Map<string, T>();
  for (const row of rows) {
    const current = best.get(row.id);
    const earlier =
      !current ||
      Date.parse(row.ended_at) < Date.parse(current.ended_at) ||
      (Date.parse(row.ended_at) === Date.parse(current.ended_at) && row.end_reason < current.end_reason);
    if (earlier) best.set(row.id, row);
  }
  return [...best.values()];
}

function earliestPerUserMilestone<T extends { user_id: string; milestone: string; reached_at: string }>(
  rows: T[],
): T[] {
  const best = new Map<string, T>();
  for (const row of rows) {
    const key = `${row.user_id}\u0000${row.milestone}`;
    const current = best.get(key);
    if (!current || Date.parse(row.reached_at) < Date.parse(current.reached_at)) best.set(key, row);
  }
  return [...best.values()];
}

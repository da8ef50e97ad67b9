// A seeded, realistic synthetic Buddy programme as Kafka records in publish order: users register,
// get matched, meet, check in, give feedback, share skills, reach milestones, and some matches end.
// On top of the natural order: re-sent events (same id, half in the other envelope), events moved
// earlier (children before their match, matches before their users) and, on request, invalid records.
import type { BuddyEvent, EventType } from '../contracts/index.ts';
import { makePlan } from './plan.ts';
import { Random } from './random.ts';
import { Timeline, type PlannedEvent } from './timeline.ts';
import { INVALID_KINDS, encode, envelopeOf, invalidRecord, wireVariation, type InvalidKind } from './wire.ts';

export interface ProgrammeOptions {
  seed?: number;
  participants?: number;
  buddies?: number;
  /** ISO date-time of the programme's first day. */
  start?: string;
  weeks?: number;
  /** Number of tenants; their UUIDs are the events' `metadata.companyId`. */
  companies?: number;
  /** Share of valid events that are re-sent (same id); half of the re-sends use the other envelope. */
  duplicateRate?: number;
  /** Share of valid events moved earlier in publish order (children before their match, ...). */
  outOfOrderRate?: number;
  /** Extra invalid records, as a share of the valid events (not JSON, no id, unknown type, ...). */
  invalidRate?: number;
  /** Share of records published in the bus envelope (the rest are flat). */
  busEnvelopeRate?: number;
  /** Approximate number of distinct valid events: scales participants and buddies to reach it. */
  targetEvents?: number;
  /** Valid events whose user or match never arrives (they stay parked, then time out). */
  orphans?: number;
}

export type ResolvedOptions = Required<Omit<ProgrammeOptions, 'targetEvents'>> & { targetEvents?: number };

export const DEFAULT_OPTIONS: ResolvedOptions = {
  seed: 1,
  participants: 60,
  buddies: 40,
  start: '2026-01-05T09:00:00Z',
  weeks: 12,
  companies: 2,
  duplicateRate: 0.1,
  outOfOrderRate: 0.2,
  invalidRate: 0,
  busEnvelopeRate: 0.3,
  orphans: 0,
};

export interface SyntheticRecord {
  topic: string;
  key: string | null;
  value: Buffer;
  valid: boolean;
  eventId?: string;
  invalidKind?: string;
}

/** One record; `event` is set on the first publication of each distinct valid event. */
export interface SyntheticItem {
  record: SyntheticRecord;
  event?: BuddyEvent;
}

export interface SyntheticStats {
  options: ResolvedOptions;
  companyIds: string[];
  participants: number;
  buddies: number;
  matches: number;
  endedMatches: number;
  /** Distinct valid events. */
  validEvents: number;
  byType: Partial<Record<EventType, number>>;
  records: number;
  validRecords: number;
  /** Re-sent valid records (each shares its id with an earlier record). */
  duplicates: number;
  duplicatesInOtherEnvelope: number;
  /** Valid events published earlier than their natural position. */
  movedEarlier: number;
  /** Valid records in the bus envelope (re-sends included). */
  busEnvelope: number;
  invalid: Partial<Record<InvalidKind, number>>;
  invalidRecords: number;
}

export interface SyntheticProgramme {
  records: SyntheticRecord[];
  /** Every distinct valid event once, canonical (as parseEnvelope returns it), in first-publish order. */
  events: BuddyEvent[];
  stats: SyntheticStats;
}

function companyIdsOf(seed: number, companies: number): string[] {
  const rng = new Random(seed).fork('companies');
  return Array.from({ length: Math.max(1, companies) }, () => rng.uuid());
}

function timelineOf(options: ResolvedOptions) {
  const start = Date.parse(options.start);
  if (Number.isNaN(start)) throw new RangeError(`start is not an ISO date-time: ${options.start}`);
  if (!(options.weeks >= 1)) throw new RangeError(`weeks must be >= 1, got ${options.weeks}`);
  const root = new Random(options.seed);
  const companyIds = companyIdsOf(options.seed, options.companies);
  const plan = makePlan(root.fork('plan'), {
    participants: options.participants,
    buddies: Math.max(1, options.buddies),
    start,
    weeks: options.weeks,
    companyIds,
  });
  return { plan, companyIds, timeline: new Timeline(root.fork('timeline'), plan, options.orphans) };
}

function countEvents(options: ResolvedOptions): number {
  let count = 0;
  for (const week of timelineOf(options).timeline.weeks()) count += week.length;
  return count;
}

/** Defaults filled in; with `targetEvents`, participants and buddies scaled (by dry runs) to reach it. */
export function resolveOptions(options: ProgrammeOptions = {}): ResolvedOptions {
  const resolved: ResolvedOptions = { ...DEFAULT_OPTIONS };
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const target = resolved.targetEvents;
  if (target === undefined) return resolved;
  const ratio = resolved.buddies / Math.max(1, resolved.participants);
  let participants = Math.max(1, resolved.participants);
  for (let round = 0; round < 3; round++) {
    const count = countEvents({
      ...resolved,
      participants,
      buddies: Math.max(1, Math.round(participants * ratio)),
    });
    if (Math.abs(count - target) <= target * 0.02 || count === 0) break;
    participants = Math.max(1, Math.round((participants * target) / count));
  }
  return { ...resolved, participants, buddies: Math.max(1, Math.round(participants * ratio)) };
}

interface Slot {
  /** Position in publish order (fractional keys are moves and insertions). */
  order: number;
  seq: number;
  item: SyntheticItem;
}

/**
 * The programme record by record, a week at a time (only one week's records are in memory), so
 * hundreds of thousands of events can be streamed to Kafka. Returns the stats when done.
 */
export function* iterateProgramme(options: ProgrammeOptions = {}): Generator<SyntheticItem, SyntheticStats> {
  const resolved = resolveOptions(options);
  const { plan, companyIds, timeline } = timelineOf(resolved);
  const rng = new Random(resolved.seed).fork('wire');
  const stats: SyntheticStats = {
    options: resolved,
    companyIds,
    participants: plan.participants.length,
    buddies: plan.buddies.length,
    matches: plan.matches.length,
    endedMatches: plan.matches.filter((m) => m.endedAt !== undefined).length,
    validEvents: 0,
    byType: {},
    records: 0,
    validRecords: 0,
    duplicates: 0,
    duplicatesInOtherEnvelope: 0,
    movedEarlier: 0,
    busEnvelope: 0,
    invalid: {},
    invalidRecords: 0,
  };
  for (const week of timeline.weeks()) {
    for (const slot of arrangeWeek(rng, resolved, week, stats)) {
      stats.records++;
      yield slot.item;
    }
  }
  return stats;
}

function arrangeWeek(
  rng: Random,
  options: ResolvedOptions,
  week: PlannedEvent[],
  stats: SyntheticStats,
): Slot[] {
  const slots: Slot[] = [];
  let seq = 0;
  const position = new Map<string, number>();
  week.forEach((planned, i) => position.set(planned.event.id, i));

  week.forEach((planned, i) => {
    const { event, key } = planned;
    let order = i;
    if (i > 0 && rng.chance(options.outOfOrderRate)) {
      const parent = planned.parentId === undefined ? undefined : position.get(planned.parentId);
      // Prefer the interesting move: just before the event that brings this one's reference.
      order =
        parent !== undefined && parent < i && rng.chance(0.7)
          ? parent - rng.int(0, Math.min(parent, 5)) - 0.5
          : i - rng.int(1, Math.min(i, 50)) - 0.5;
      stats.movedEarlier++;
    }
    const envelope = rng.chance(options.busEnvelopeRate) ? 'bus' : 'flat';
    const value = encode(envelopeOf(event, envelope, wireVariation(rng)));
    const record: SyntheticRecord = { topic: event.type, key, value, valid: true, eventId: event.id };
    slots.push({ order, seq: seq++, item: { record, event } });
    stats.validEvents++;
    stats.validRecords++;
    stats.byType[event.type] = (stats.byType[event.type] ?? 0) + 1;
    if (envelope === 'bus') stats.busEnvelope++;

    if (rng.chance(options.duplicateRate)) {
      const other = rng.chance(0.5);
      const again = other ? (envelope === 'bus' ? 'flat' : 'bus') : envelope;
      const resent = other ? encode(envelopeOf(event, again, wireVariation(rng))) : value;
      const copy: SyntheticRecord = { ...record, value: resent };
      slots.push({ order: order + rng.int(1, 300) + 0.25, seq: seq++, item: { record: copy } });
      stats.duplicates++;
      stats.validRecords++;
      if (other) stats.duplicatesInOtherEnvelope++;
      if (again === 'bus') stats.busEnvelope++;
    }
  });

  const wanted = week.length * options.invalidRate;
  const invalidCount = Math.floor(wanted) + (rng.chance(wanted % 1) ? 1 : 0);
  let oversize = false;
  for (let n = 0; n < invalidCount && week.length > 0; n++) {
    // At most one >1 MB record a week: they are there to be rejected, not to fill memory.
    const kinds = INVALID_KINDS.filter((k) => k !== 'oversize' || !oversize);
    const kind = rng.weighted(kinds.map((k) => [k, k === 'oversize' ? 0.1 : 1] as const));
    if (kind === 'oversize') oversize = true;
    const base = rng.pick(week);
    const bad = invalidRecord(rng, kind, base.event, base.key);
    const record: SyntheticRecord = {
      topic: bad.topic,
      key: bad.key,
      value: bad.value,
      valid: false,
      invalidKind: kind,
    };
    if (bad.eventId !== undefined) record.eventId = bad.eventId;
    slots.push({ order: rng.float(-0.5, week.length), seq: seq++, item: { record } });
    stats.invalid[kind] = (stats.invalid[kind] ?? 0) + 1;
    stats.invalidRecords++;
  }
  return slots.sort((a, b) => a.order - b.order || a.seq - b.seq);
}

/** The whole programme in memory: records in publish order, the distinct valid events, and stats. */
export function generateProgramme(options: ProgrammeOptions = {}): SyntheticProgramme {
  const records: SyntheticRecord[] = [];
  const events: BuddyEvent[] = [];
  const iterator = iterateProgramme(options);
  for (;;) {
    const next = iterator.next();
    if (next.done) return { records, events, stats: next.value };
    records.push(next.value.record);
    if (next.value.event) events.push(next.value.event);
  }
}

// One export row -> the events it stands for (a users row is a user.registered, a matches row a
// match.created and, when it has ended_at, a match.ended, ...), validated with the zod contracts. Event
// ids are derived from the row's own ids, so importing the same rows again publishes the same events,
// which the processor drops as duplicates. Pure: no I/O. Issues name the field, never its value.
import { describeIssues, eventDataSchemas, type EventType } from '../contracts/index.ts';
import { nameBasedUuid } from '../pipeline/ids.ts';
import { convertObject, snake } from './convert.ts';
import type { ExportKind } from './sources.ts';

/** Namespace of imported event ids. Fixed forever: changing it would re-import everything. */
export const IMPORT_EVENT_NAMESPACE = '6c1f8e2a-93b4-4d57-a0e6-2f7b9c3d5e81';

export interface Draft {
  type: EventType;
  id: string;
  /** Event time: the row's own date-time (joined_at, matched_at, checkin_date, ...). */
  timestamp: string;
  data: Record<string, unknown>;
}

export interface RowIssue {
  field: string;
  reason: string;
}

export type RowResult = { ok: true; drafts: Draft[] } | { ok: false; issues: RowIssue[] };

interface Mapping {
  type: EventType;
  /** Other source columns of a field, besides its snake_case and camelCase names. */
  aliases?: Record<string, readonly string[]>;
  /** The field holding the event time. */
  time: string;
  /** The row's natural key for this event type (the source of the event id). */
  key: (data: Record<string, unknown>) => string;
  /** Whether the row stands for an event of this type. */
  when?: (row: Record<string, unknown>) => boolean;
  /** Fills fields the export may leave out. */
  derive?: (data: Record<string, unknown>, row: Record<string, unknown>) => void;
}

const present = (row: Record<string, unknown>, ...names: string[]) =>
  names.some((n) => row[n] !== undefined && row[n] !== null && row[n] !== '');

const MAPPINGS: Record<ExportKind, Mapping[]> = {
  users: [
    {
      type: 'buddy.user.registered',
      aliases: { userId: ['id'] },
      time: 'joinedAt',
      key: (d) => `${d.userId}`,
    },
  ],
  matches: [
    {
      type: 'buddy.match.created',
      aliases: { matchId: ['id'] },
      time: 'matchedAt',
      key: (d) => `${d.matchId}`,
    },
    {
      type: 'buddy.match.ended',
      aliases: { matchId: ['id'], reason: ['end_reason'] },
      time: 'endedAt',
      key: (d) => `${d.matchId}`,
      when: (row) => present(row, 'ended_at', 'endedAt'),
      derive: (data, row) => {
        const from = Date.parse(String(row['matched_at'] ?? row['matchedAt'] ?? ''));
        const to = Date.parse(String(data['endedAt'] ?? ''));
        if (data['duration'] === undefined && from && to && to >= from)
          data['duration'] = Math.max(1, Math.ceil((to - from) / 86_400_000));
      },
    },
  ],
  events: [
    {
      type: 'buddy.event.attended',
      aliases: { eventId: ['id'] },
      time: 'attendedAt',
      key: (d) => `${d.eventId}:${d.userId}`,
      when: (row) => present(row, 'attended_at', 'attendedAt'),
    },
    {
      type: 'buddy.event.logged',
      aliases: { eventId: ['id'] },
      time: 'eventDate',
      key: (d) => `${d.eventId}`,
      when: (row) => !present(row, 'attended_at', 'attendedAt'),
    },
  ],
  checkins: [
    {
      type: 'buddy.checkin.completed',
      aliases: { checkinId: ['id'] },
      time: 'checkinDate',
      key: (d) => `${d.checkinId}`,
    },
  ],
  feedback: [
    {
      type: 'buddy.feedback.submitted',
      aliases: { feedbackId: ['id'] },
      time: 'submittedAt',
      key: (d) => `${d.feedbackId}`,
    },
  ],
  skill_sessions: [
    {
      type: 'buddy.skill_share.completed',
      aliases: { sessionId: ['id'] },
      time: 'completedAt',
      key: (d) => `${d.sessionId}`,
    },
  ],
  milestones: [
    {
      type: 'buddy.milestone.reached',
      aliases: { milestoneId: ['id'] },
      time: 'reachedAt',
      key: (d) => `${d.userId}:${d.milestoneId}`,
    },
  ],
};

/** The events of one row, or every problem found in it. */
export function rowToEvents(kind: ExportKind, row: Record<string, unknown>, csv: boolean): RowResult {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    return { ok: false, issues: [{ field: '(row)', reason: 'not an object' }] };
  const drafts: Draft[] = [];
  const issues: RowIssue[] = [];
  for (const mapping of MAPPINGS[kind]) {
    if (mapping.when && !mapping.when(row)) continue;
    const schema = eventDataSchemas[mapping.type];
    const data = convertObject(schema, row, csv, mapping.aliases);
    mapping.derive?.(data, row);
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) issues.push(issueOf(issue, data, row, mapping.aliases));
      continue;
    }
    const valid = parsed.data as Record<string, unknown>;
    drafts.push({
      type: mapping.type,
      id: nameBasedUuid(IMPORT_EVENT_NAMESPACE, `${mapping.type}:${mapping.key(valid).toLowerCase()}`),
      timestamp: String(valid[mapping.time]),
      data,
    });
  }
  return issues.length > 0 ? { ok: false, issues: dedupeIssues(issues) } : { ok: true, drafts };
}

/** Keys from input (a record's keys) are masked unless they look like identifiers. */
const SAFE_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

type Issue = Parameters<typeof describeIssues>[0][number];

function issueOf(
  issue: Issue,
  data: unknown,
  row: Record<string, unknown>,
  aliases: Mapping['aliases'] = {},
): RowIssue {
  const segments = issue.path.map((p) =>
    typeof p !== 'string' ? `[${String(p)}]` : SAFE_KEY.test(p) ? snake(p) : '[*]',
  );
  // Name the column the file used: `id` rather than `user_id` when the file has `id`.
  const top = issue.path[0];
  if (typeof top === 'string' && row[snake(top)] === undefined && row[top] === undefined) {
    const alias = aliases[top]?.find((a) => row[a] !== undefined);
    if (alias) segments[0] = alias;
  }
  const field = segments.length === 0 ? '(row)' : segments.join('.').replace(/\.\[/g, '[');
  const described = describeIssues([issue], data);
  return { field, reason: described.slice(described.indexOf(': ') + 2) };
}

/** A matches row with an end reports a bad participant_id once, not once per event type. */
function dedupeIssues(issues: RowIssue[]): RowIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.field}\u0000${i.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// What a projection sees (resolved references) and what it returns (rows, or why it must wait).
import type { BuddyEvent } from '../../contracts/index.ts';
import type { OutboxRow } from '../../q2q/text-record.ts';

/** A match as the projections need it: its people as CSR user ids, its participant's Buddy id. */
export interface MatchRef {
  participantId: string;
  buddyId: string;
  participantBuddyId: string;
  companyId: string | null;
}

/** What the projections know of a CSR user beyond the id. */
export interface UserInfo {
  /** The Buddy language preference (Q2Q's language of the user's texts). */
  languagePreference: string | undefined;
}

/** Buddy ids and match ids resolved against the database (and the rows written earlier in the batch). */
export interface Lookup {
  user(buddyUserId: string): string | undefined;
  match(matchId: string): MatchRef | undefined;
  /** By CSR user id, for users resolved by `user` or named by a resolved match. */
  info(userId: string): UserInfo | undefined;
}

export interface MatchRow {
  id: string;
  participant_id: string;
  buddy_id: string;
  matched_at: string;
  status: 'active';
  company_id: string | null;
}
export interface MatchEndRow {
  id: string;
  ended_at: string;
  end_reason: string;
}
export interface BuddyEventRow {
  id: string;
  match_id: string;
  event_type: string;
  event_date: string;
  description: string | null;
  location: string | null;
  metadata: Record<string, unknown>;
}
export interface CheckinRow {
  id: string;
  match_id: string;
  checkin_date: string;
  mood: string | null;
  notes: string | null;
}
export interface FeedbackRow {
  id: string;
  match_id: string;
  from_role: string;
  rating: number;
  feedback_text: string | null;
  submitted_at: string;
}
export interface KintellSessionRow {
  id: string;
  external_session_id: string;
  session_type: 'skill_share';
  participant_id: string;
  volunteer_id: string;
  scheduled_at: string | null;
  completed_at: string;
  duration_minutes: number | null;
  rating: number | null;
  feedback_text: string | null;
  topics: string[];
  metadata: Record<string, unknown>;
}
export interface MilestoneRow {
  user_id: string;
  milestone: string;
  reached_at: string;
  triggered_by_rule: string;
  metadata: Record<string, unknown>;
}

/** The rows of each target, by table (match_ends is an UPDATE of buddy_matches). */
export interface TableRows {
  buddy_matches?: MatchRow[];
  match_ends?: MatchEndRow[];
  buddy_events?: BuddyEventRow[];
  buddy_checkins?: CheckinRow[];
  buddy_feedback?: FeedbackRow[];
  kintell_sessions?: KintellSessionRow[];
  journey_milestones?: MilestoneRow[];
}
export type TargetTable = keyof TableRows;

export interface WaitingFor {
  kind: 'user' | 'match';
  ref: string;
}

export type Projection =
  | {
      kind: 'applied';
      rows: TableRows;
      /** CSR ids of the users whose derived state (enrolment, journey flags) may change. */
      users: string[];
      /** Buddy id of the primary user, for buddy_system_events.user_id. */
      primaryBuddyId: string | null;
      /** Records to publish once the transaction commits (q2q texts). */
      outbox?: OutboxRow[];
    }
  | { kind: 'parked'; waitingFor: WaitingFor };

export type Project<E extends BuddyEvent = BuddyEvent> = (event: E, lookup: Lookup) => Projection;

export const parked = (kind: WaitingFor['kind'], ref: string): Projection => ({
  kind: 'parked',
  waitingFor: { kind, ref },
});

/** The tables an applied projection fed (buddy_system_events.derived_metrics). */
export function derivedTables(rows: TableRows): string[] {
  const tables = new Set<string>();
  for (const [table, list] of Object.entries(rows)) {
    if (list && list.length > 0) tables.add(table === 'match_ends' ? 'buddy_matches' : table);
  }
  return [...tables].sort();
}

// The outbox records of journey changes (journey.flag.changed, journey.milestone.reached). Pure.
import { nameBasedUuid } from '../pipeline/ids.ts';
import { OUTBOX_NAMESPACE, type OutboxRow } from '../q2q/text-record.ts';

export const JOURNEY_FLAG_LOGICAL_TOPIC = 'journey.flag.changed';
export const JOURNEY_MILESTONE_LOGICAL_TOPIC = 'journey.milestone.reached';

export interface ChangedFlag {
  user_id: string;
  flag: string;
  value: boolean;
  set_by_rule: string;
  set_at: Date;
  expires_at: Date | null;
}

/** A milestone's record: once per user and milestone (its id is derived from both). */
export function milestoneRecord(
  userId: string,
  milestone: string,
  reachedAt: string,
  rule: string,
): OutboxRow {
  const recordId = nameBasedUuid(OUTBOX_NAMESPACE, `milestone:${userId}:${milestone}`);
  return {
    id: recordId,
    topic: JOURNEY_MILESTONE_LOGICAL_TOPIC,
    message_key: userId,
    payload: { recordId, userId, milestone, reachedAt, triggeredByRule: rule },
    source_event_id: null,
    user_id: userId,
  };
}

export function flagRecord(f: ChangedFlag): OutboxRow {
  const setAt = f.set_at.toISOString();
  const recordId = nameBasedUuid(OUTBOX_NAMESPACE, `flag:${f.user_id}:${f.flag}:${f.value}:${setAt}`);
  return {
    id: recordId,
    topic: JOURNEY_FLAG_LOGICAL_TOPIC,
    message_key: f.user_id,
    payload: {
      recordId,
      userId: f.user_id,
      flag: f.flag,
      value: f.value,
      setByRule: f.set_by_rule,
      setAt,
      expiresAt: f.expires_at?.toISOString() ?? null,
    },
    source_event_id: null,
    user_id: f.user_id,
  };
}

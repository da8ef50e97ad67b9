// Every topic buddy-stream reads or writes, and their idempotent creation.
import type { Admin } from 'kafkajs';
import type { Config } from '../config.ts';
import { EVENT_TYPES } from '../contracts/index.ts';

/** The input topics: one per event type, named exactly as the type. */
export const BUDDY_TOPICS: readonly string[] = EVENT_TYPES;

type TopicSettings = Pick<
  Config,
  | 'TOPIC_PREFIX'
  | 'DLQ_TOPIC'
  | 'Q2Q_TEXT_TOPIC'
  | 'Q2Q_SCORES_TOPIC'
  | 'JOURNEY_FLAG_TOPIC'
  | 'JOURNEY_MILESTONE_TOPIC'
  | 'ERASURE_TOPIC'
>;

/** The topics buddy-stream writes (and, for q2q scores and erasure requests, reads). */
export function outputTopics(config: TopicSettings): string[] {
  return [
    config.DLQ_TOPIC,
    config.Q2Q_TEXT_TOPIC,
    config.Q2Q_SCORES_TOPIC,
    config.JOURNEY_FLAG_TOPIC,
    config.JOURNEY_MILESTONE_TOPIC,
    config.ERASURE_TOPIC,
  ];
}

/** Every topic buddy-stream reads or writes: the buddy.* inputs (with TOPIC_PREFIX) and the outputs. */
export function allTopics(config: TopicSettings): string[] {
  return [...BUDDY_TOPICS.map((t) => config.TOPIC_PREFIX + t), ...outputTopics(config)];
}

/** An output topic that matched the input pattern would feed the processor its own records. */
export function assertOutputsOutsidePattern(pattern: RegExp, outputs: Iterable<string>): void {
  const clashing = [...outputs].filter((topic) => pattern.test(topic));
  if (clashing.length > 0) {
    throw new Error(`output topics must not match TOPIC_PATTERN ${pattern}: ${clashing.join(', ')}`);
  }
}

export interface TopicPlan {
  partitions: number;
  replicationFactor: number;
}

/**
 * Larger than the 1 MB poison limit, so that a poison record reaches the processor (and its dead letter,
 * with headers, reaches the DLQ) instead of being refused to the producer with no trace.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Creates the topics that do not exist yet; returns the names it created. */
export async function createTopics(admin: Admin, plan: TopicPlan, topics: string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    // kafkajs' own wait fails on a transient "does not host this topic-partition"; ours retries.
    waitForLeaders: false,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: plan.partitions,
      replicationFactor: plan.replicationFactor,
      configEntries: [{ name: 'max.message.bytes', value: String(TOPIC_MAX_MESSAGE_BYTES) }],
    })),
  });
  await waitForLeaders(admin, missing);
  return missing;
}

/** Polls until every partition of `topics` has a leader that serves it (the broker then takes writes). */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const ready =
        found.length === topics.length &&
        found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      // Metadata can name a leader a moment before the leader serves the partition (a produce then
      // gets NOT_LEADER): asking each partition's offsets proves the leaders are serving.
      if (ready && (await leadersServe(admin, topics))) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics have no leader after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function leadersServe(admin: Admin, topics: string[]): Promise<boolean> {
  try {
    for (const topic of topics) await admin.fetchTopicOffsets(topic);
    return true;
  } catch {
    return false;
  }
}

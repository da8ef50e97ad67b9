// Every topic buddy-stream reads or writes, and their idempotent creation.
import type { Admin } from 'kafkajs';
import { EVENT_TYPES } from '../contracts/index.ts';

/** The input topics: one per event type, named exactly as the type. */
export const BUDDY_TOPICS: readonly string[] = EVENT_TYPES;

/** The topics buddy-stream writes (and, for q2q scores and erasure requests, reads). */
export const OUTPUT_TOPICS = {
  deadLetter: 'dlq.buddy',
  q2qTextRequested: 'q2q.text.requested',
  q2qOutcomeScored: 'q2q.outcome.scored',
  journeyFlagChanged: 'journey.flag.changed',
  journeyMilestoneReached: 'journey.milestone.reached',
  privacyErasureRequested: 'privacy.erasure.requested',
} as const;

/** An output topic that matched the input pattern would feed the processor its own records. */
export function assertOutputsOutsidePattern(pattern: RegExp, outputs: Iterable<string>): void {
  const clashing = [...outputs].filter((topic) => pattern.test(topic));
  if (clashing.length > 0) {
    throw new Error(`output topics must not match TOPIC_PATTERN ${pattern}: ${clashing.join(', ')}`);
  }
}

export interface TopicPlan {
  /** TOPIC_PREFIX, put before each buddy.* topic name. */
  prefix: string;
  partitions: number;
  replicationFactor: number;
  deadLetterTopic: string;
}

export function allTopics(plan: Pick<TopicPlan, 'deadLetterTopic' | 'prefix'>): string[] {
  const outputs = Object.values(OUTPUT_TOPICS).map((t) =>
    t === OUTPUT_TOPICS.deadLetter ? plan.deadLetterTopic : t,
  );
  return [...BUDDY_TOPICS.map((t) => plan.prefix + t), ...outputs];
}

/**
 * Larger than the 1 MB poison limit, so that a poison record reaches the processor (and its dead letter,
 * with headers, reaches the DLQ) instead of being refused to the producer with no trace.
 */
export const TOPIC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Creates the topics that do not exist yet; returns the names it created. */
export async function createTopics(
  admin: Admin,
  plan: TopicPlan,
  topics = allTopics(plan),
): Promise<string[]> {
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

/** Polls metadata until every partition of `topics` has a leader (the broker can then take writes). */
export async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const ready =
        found.length === topics.length &&
        found.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      if (ready) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics have no leader after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// Backlog order: while the topics that create users and matches have a backlog on this processor (any
// record not yet handed over), the topics whose events refer to them wait. Read side by side from a backlog, most children would arrive
// before their user or match and be parked (written twice, applied later); held back, they apply at once.
// Parking stays the safety net: this only orders reading, it never decides what is applied.
import type { EventType } from '../contracts/index.ts';

/** 0: people; 1: matches and profile updates (refer to people); 2: everything in a match or about a person. */
export type Tier = 0 | 1 | 2;

const TIERS: Partial<Record<EventType, Tier>> = {
  'buddy.user.registered': 0,
  'buddy.user.updated': 1,
  'buddy.match.created': 1,
};

export function tierOf(eventType: string): Tier {
  return TIERS[eventType as EventType] ?? 2;
}

export interface BacklogGateOptions {
  /** Input topics are `<prefix><event type>`. */
  topicPrefix: string;
  /** Off: nothing is ever held (parking alone orders the events). */
  enabled: boolean;
  /**
   * A parent partition not heard of for this long no longer holds anything (its lag may be stale:
   * a broker that stopped answering must not stop the children forever).
   */
  staleMs: number;
}

export interface BacklogGate {
  /** A new assignment: its parent partitions, lag unknown (holding) until measured. */
  assign(parents: { topic: string; partition: number }[], nowMs: number): void;
  /** A parent partition's lag: after the records handed over, or as measured against the broker. */
  observe(topic: string, partition: number, lag: number, nowMs: number): void;
  /** Whether records of `topic` should wait. */
  holds(topic: string, nowMs: number): boolean;
  /** Whether `topic` is a parent topic (its lag is tracked). */
  tracks(topic: string): boolean;
}

export function createBacklogGate(options: BacklogGateOptions): BacklogGate {
  const lags = new Map<string, { tier: Tier; lag: number; at: number }>();
  const tierOfTopic = (topic: string): Tier | undefined =>
    topic.startsWith(options.topicPrefix) ? tierOf(topic.slice(options.topicPrefix.length)) : undefined;
  return {
    assign(parents, nowMs) {
      lags.clear();
      for (const { topic, partition } of parents) {
        const tier = tierOfTopic(topic);
        if (tier !== undefined && tier < 2)
          lags.set(`${topic}\u0000${partition}`, { tier, lag: Infinity, at: nowMs });
      }
    },
    observe(topic, partition, lag, nowMs) {
      const tier = tierOfTopic(topic);
      if (tier === undefined || tier === 2) return;
      lags.set(`${topic}\u0000${partition}`, { tier, lag, at: nowMs });
    },
    holds(topic, nowMs) {
      const tier = tierOfTopic(topic);
      if (!options.enabled || tier === undefined || tier === 0) return false;
      for (const entry of lags.values()) {
        if (entry.tier < tier && entry.lag > 0 && nowMs - entry.at < options.staleMs) return true;
      }
      return false;
    },
    tracks(topic) {
      const tier = tierOfTopic(topic);
      return tier !== undefined && tier < 2;
    },
  };
}

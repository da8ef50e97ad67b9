// Kafka's committed offsets follow Postgres, off a batch's critical path. The stored offsets in
// Postgres are the truth (a new owner of a partition seeks to them); Kafka's are there so that lag tools
// (kafka-consumer-groups, Burrow, exporters) see progress. Awaiting that commit after every batch put a
// broker round trip (10 to 30 ms on a loaded broker) between one batch's commit and the next fetch.
// Here a batch hands its offsets over and goes on: one commit is in flight at a time, the offsets handed
// over meanwhile are merged (the latest per partition) and go in the next one, so commits never overtake
// each other and an older offset is never committed after a newer one.

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read (Kafka's committed-offset convention). */
  offset: string;
}

export interface OffsetFollower {
  /** Hands over offsets to commit; returns at once. */
  follow(offsets: PartitionOffset[]): void;
  /** Resolves once everything handed over so far was committed (or refused). */
  flush(): Promise<void>;
}

export function createOffsetFollower(
  commit: (offsets: PartitionOffset[]) => Promise<void>,
  onRefused: (error: Error) => void,
): OffsetFollower {
  const pending = new Map<string, PartitionOffset>();
  let inFlight: Promise<void> | undefined;

  function next(): void {
    if (inFlight || pending.size === 0) return;
    const offsets = [...pending.values()];
    pending.clear();
    inFlight = commit(offsets)
      .catch((error: Error) => onRefused(error))
      .finally(() => {
        inFlight = undefined;
        next();
      });
  }

  return {
    follow(offsets) {
      for (const o of offsets) {
        const key = `${o.topic}\u0000${o.partition}`;
        const current = pending.get(key);
        // Within one partition a later batch always has a greater offset; kept safe anyway.
        if (!current || BigInt(o.offset) > BigInt(current.offset)) pending.set(key, o);
      }
      next();
    },
    async flush() {
      while (inFlight) await inFlight;
    },
  };
}

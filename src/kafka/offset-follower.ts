// Kafka's committed offsets of the processor's group follow the offsets stored in Postgres (the truth: a
// new owner of a partition seeks to them), for lag tools such as KEDA's Kafka scaler. A commit per batch
// cost each batch cycle about 8 ms of its 110 at a steady 2,000 events/s (bench:profile --rate): here
// they are committed at most once per interval, and at the latest one interval after a batch.
import type { Logger } from '../ops/logger.ts';

export interface PartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: string;
}

export interface OffsetFollowerOptions {
  /** At most one commit per this many ms (0: every batch's offsets at once). */
  intervalMs: number;
  commit(offsets: PartitionOffset[]): Promise<void>;
  log: Logger;
}

export interface OffsetFollower {
  /**
   * A batch's stored offsets: committed before this resolves when the interval has passed since the last
   * commit, else by a timer within it.
   */
  follow(offsets: PartitionOffset[]): Promise<void>;
  /** Commits what is pending now, and from then on every batch's offsets at once (a stop). */
  close(): Promise<void>;
}

export function createOffsetFollower(options: OffsetFollowerOptions): OffsetFollower {
  const pending = new Map<string, PartitionOffset>();
  let lastCommitAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  async function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return;
    const offsets = [...pending.values()];
    pending.clear();
    lastCommitAt = Date.now();
    // Refused during a rebalance (a partition moved meanwhile): nothing applied changes, the next owner
    // seeks to the stored offset, and its own commits move Kafka's.
    await options
      .commit(offsets)
      .catch((error: Error) =>
        options.log.warn({ err: error.message }, 'Kafka offset commit refused; Postgres has the batch'),
      );
  }

  return {
    async follow(offsets) {
      for (const o of offsets) pending.set(`${o.topic}\u0000${o.partition}`, o);
      const wait = lastCommitAt + options.intervalMs - Date.now();
      if (closed || wait <= 0) return flush();
      timer ??= setTimeout(() => void flush(), wait);
      timer.unref();
    },
    close() {
      closed = true;
      return flush();
    },
  };
}

// Kafka's committed offsets following the stored ones: at most one commit per interval, none lost.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOffsetFollower, type PartitionOffset } from '../../src/kafka/offset-follower.ts';
import { createLogger } from '../../src/ops/logger.ts';

const log = createLogger({ level: 'silent' });
const at = (topic: string, partition: number, offset: number): PartitionOffset => ({
  topic,
  partition,
  offset: String(offset),
});

describe('offset follower', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function follower(intervalMs = 1_000) {
    const commits: PartitionOffset[][] = [];
    const f = createOffsetFollower({
      intervalMs,
      log,
      commit: async (offsets) => {
        commits.push(offsets);
      },
    });
    return { f, commits };
  }

  it('commits the first batch at once, then the latest offset of each partition once per interval', async () => {
    const { f, commits } = follower();
    await f.follow([at('a', 0, 10)]);
    expect(commits).toEqual([[at('a', 0, 10)]]);
    await vi.advanceTimersByTimeAsync(100);
    await f.follow([at('a', 0, 20), at('a', 1, 5)]);
    await vi.advanceTimersByTimeAsync(100);
    await f.follow([at('a', 0, 30)]);
    expect(commits).toHaveLength(1);
    // One interval after the first commit: the latest of each partition, in one commit.
    await vi.advanceTimersByTimeAsync(800);
    expect(commits).toEqual([[at('a', 0, 10)], [at('a', 0, 30), at('a', 1, 5)]]);
    // Nothing new: nothing more.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(commits).toHaveLength(2);
    // A batch after a quiet interval commits at once again.
    await f.follow([at('a', 1, 9)]);
    expect(commits[2]).toEqual([at('a', 1, 9)]);
  });

  it('commits every batch at once with an interval of 0', async () => {
    const { f, commits } = follower(0);
    await f.follow([at('a', 0, 1)]);
    await f.follow([at('a', 0, 2)]);
    expect(commits).toEqual([[at('a', 0, 1)], [at('a', 0, 2)]]);
  });

  it('on close, commits what is pending, then each batch finishing during the stop at once', async () => {
    const { f, commits } = follower();
    await f.follow([at('a', 0, 1)]);
    await f.follow([at('a', 0, 2)]);
    expect(commits).toHaveLength(1);
    await f.close();
    expect(commits).toEqual([[at('a', 0, 1)], [at('a', 0, 2)]]);
    await f.follow([at('a', 0, 3)]);
    expect(commits[2]).toEqual([at('a', 0, 3)]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(commits).toHaveLength(3);
  });

  it('a refused commit is logged, not thrown (Postgres holds the offsets)', async () => {
    const f = createOffsetFollower({
      intervalMs: 1_000,
      log,
      commit: () => Promise.reject(new Error('not the owner')),
    });
    await expect(f.follow([at('a', 0, 1)])).resolves.toBeUndefined();
  });
});

// Kafka's committed offsets follow Postgres off the batch's path (src/kafka/offset-follower.ts): one
// commit in flight, the offsets handed over meanwhile merged into the next, never an older one after a
// newer one.
import { describe, expect, it } from 'vitest';
import { createOffsetFollower, type PartitionOffset } from '../../src/kafka/offset-follower.ts';

/** A commit function whose calls stay open until released, in order. */
function gatedCommits() {
  const calls: { offsets: string[]; release(error?: Error): void }[] = [];
  const commit = (offsets: PartitionOffset[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({
        offsets: offsets.map((o) => `${o.topic}/${o.partition}@${o.offset}`).sort(),
        release: (error) => (error ? reject(error) : resolve()),
      });
    });
  return { calls, commit };
}

const at = (topic: string, partition: number, offset: number): PartitionOffset => ({
  topic,
  partition,
  offset: String(offset),
});
const tick = () => new Promise((r) => setImmediate(r));

describe('offset follower', () => {
  it('commits at once, merges what comes while a commit is in flight, latest offset per partition', async () => {
    const { calls, commit } = gatedCommits();
    const follower = createOffsetFollower(commit, () => {});
    follower.follow([at('a', 0, 10)]);
    expect(calls.map((c) => c.offsets)).toEqual([['a/0@10']]);

    follower.follow([at('a', 0, 20), at('b', 1, 5)]);
    follower.follow([at('a', 0, 30)]);
    expect(calls).toHaveLength(1); // one in flight at a time

    calls[0]!.release();
    await tick();
    expect(calls.map((c) => c.offsets)).toEqual([['a/0@10'], ['a/0@30', 'b/1@5']]);
    calls[1]!.release();
    await tick();
    expect(calls).toHaveLength(2); // nothing left to commit
  });

  it('never sends an older offset of a partition after a newer one', async () => {
    const { calls, commit } = gatedCommits();
    const follower = createOffsetFollower(commit, () => {});
    follower.follow([at('a', 0, 1)]);
    follower.follow([at('a', 0, 9)]);
    follower.follow([at('a', 0, 4)]);
    calls[0]!.release();
    await tick();
    expect(calls.map((c) => c.offsets)).toEqual([['a/0@1'], ['a/0@9']]);
  });

  it('reports a refused commit and goes on with the next', async () => {
    const { calls, commit } = gatedCommits();
    const refused: string[] = [];
    const follower = createOffsetFollower(commit, (error) => refused.push(error.message));
    follower.follow([at('a', 0, 1)]);
    follower.follow([at('a', 0, 2)]);
    calls[0]!.release(new Error('REBALANCE_IN_PROGRESS'));
    await tick();
    expect(refused).toEqual(['REBALANCE_IN_PROGRESS']);
    expect(calls.map((c) => c.offsets)).toEqual([['a/0@1'], ['a/0@2']]);
  });

  it('flush waits for the commit in flight and the ones queued behind it', async () => {
    const { calls, commit } = gatedCommits();
    const follower = createOffsetFollower(commit, () => {});
    await follower.flush(); // nothing handed over: resolves at once
    follower.follow([at('a', 0, 1)]);
    follower.follow([at('a', 0, 2)]);
    let flushed = false;
    const flushing = follower.flush().then(() => (flushed = true));
    calls[0]!.release();
    await tick();
    expect(flushed).toBe(false); // the second commit is in flight now
    calls[1]!.release();
    await flushing;
    expect(flushed).toBe(true);
  });
});

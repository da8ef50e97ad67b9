// The batcher (pipeline/collector.ts) and the backlog gate (pipeline/backlog-gate.ts): which records go
// into which batch, and which topics wait while their parents have a backlog.
import { describe, expect, it } from 'vitest';
import { createBacklogGate, tierOf } from '../../src/pipeline/backlog-gate.ts';
import { createCollector } from '../../src/pipeline/collector.ts';
import type { SourceRecord } from '../../src/pipeline/decode.ts';

const records = (topic: string, partition: number, from: number, n: number): SourceRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    position: { topic, partition, offset: String(from + i) },
    key: null,
    value: Buffer.from('{}'),
    headers: {},
    timestamp: '0',
  }));

const where = (segments: SourceRecord[][]) =>
  segments.map((s) => `${s[0]!.position.topic}/${s[0]!.position.partition}:${s.length}`);

/** A collector whose batches are recorded as `topic/partition:records` lists. */
function recording(options: { maxRecords: number; priority?: (r: SourceRecord[]) => number }) {
  const batches: string[][] = [];
  const collector = createCollector({
    lingerMs: 20,
    concurrency: 1,
    ...options,
    apply: async (segments) => {
      batches.push(where(segments));
      return batches.length;
    },
  });
  return { batches, collector };
}

describe('collector', () => {
  it('applies what arrives within the linger as one batch, one segment per partition', async () => {
    const { batches, collector } = recording({ maxRecords: 100 });
    const results = await Promise.all([
      collector.submit(records('a', 0, 0, 10)),
      collector.submit(records('a', 1, 0, 5)),
      collector.submit(records('b', 0, 0, 7)),
    ]);
    expect(batches).toEqual([['a/0:10', 'a/1:5', 'b/0:7']]);
    expect(results).toEqual([1, 1, 1]);
  });

  it('closes a batch at maxRecords without splitting a submission', async () => {
    const { batches, collector } = recording({ maxRecords: 10 });
    await Promise.all([
      collector.submit(records('a', 0, 0, 6)),
      collector.submit(records('a', 1, 0, 6)),
      collector.submit(records('a', 2, 0, 3)),
    ]);
    // The second submission fills the batch past 10: it closes at once with what fits (6).
    expect(batches).toEqual([['a/0:6'], ['a/1:6', 'a/2:3']]);
  });

  it('takes lower priorities first when not everything fits', async () => {
    const { batches, collector } = recording({
      maxRecords: 10,
      priority: (r) => (r[0]!.position.topic === 'parent' ? 0 : 1),
    });
    await Promise.all([
      collector.submit(records('child', 0, 0, 8)),
      collector.submit(records('parent', 0, 0, 8)),
    ]);
    expect(batches).toEqual([['parent/0:8'], ['child/0:8']]);
  });

  it('never puts two submissions of one partition into one batch', async () => {
    const { batches, collector } = recording({ maxRecords: 100 });
    await Promise.all([collector.submit(records('a', 0, 0, 2)), collector.submit(records('a', 0, 2, 2))]);
    expect(batches).toEqual([['a/0:2'], ['a/0:2']]);
  });

  it('rejects every submission of a failed batch with its error, and goes on with the next', async () => {
    let calls = 0;
    const collector = createCollector({
      maxRecords: 100,
      lingerMs: 5,
      concurrency: 1,
      apply: async () => {
        calls++;
        if (calls === 1) throw new Error('Postgres went away');
        return 'ok';
      },
    });
    const failed = await Promise.allSettled([
      collector.submit(records('a', 0, 0, 1)),
      collector.submit(records('a', 1, 0, 1)),
    ]);
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual([
      'Postgres went away',
      'Postgres went away',
    ]);
    await expect(collector.submit(records('a', 0, 0, 1))).resolves.toBe('ok');
  });

  it('applies at most `concurrency` batches at once', async () => {
    let inFlight = 0;
    let most = 0;
    const collector = createCollector({
      maxRecords: 1,
      lingerMs: 1,
      concurrency: 2,
      apply: async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        return null;
      },
    });
    await Promise.all(Array.from({ length: 6 }, (_, p) => collector.submit(records('a', p, 0, 1))));
    expect(most).toBe(2);
  });
});

describe('backlog gate', () => {
  const gate = () => createBacklogGate({ topicPrefix: 'x.', enabled: true, staleMs: 1_000 });

  it('ranks people, then matches and profile updates, then the rest', () => {
    expect(tierOf('buddy.user.registered')).toBe(0);
    expect(tierOf('buddy.match.created')).toBe(1);
    expect(tierOf('buddy.user.updated')).toBe(1);
    expect(tierOf('buddy.checkin.completed')).toBe(2);
    expect(tierOf('buddy.match.ended')).toBe(2);
  });

  it('holds children while a parent partition has a backlog, and lets them go once it has none', () => {
    const g = gate();
    g.assign(
      [
        { topic: 'x.buddy.user.registered', partition: 0 },
        { topic: 'x.buddy.match.created', partition: 0 },
        { topic: 'x.buddy.checkin.completed', partition: 0 },
      ],
      0,
    );
    // Lag unknown after an assignment: hold until measured.
    expect(g.holds('x.buddy.checkin.completed', 1)).toBe(true);
    expect(g.holds('x.buddy.user.registered', 1)).toBe(false);
    g.observe('x.buddy.user.registered', 0, 50, 2);
    g.observe('x.buddy.match.created', 0, 0, 2);
    expect(g.holds('x.buddy.match.created', 3)).toBe(true);
    expect(g.holds('x.buddy.checkin.completed', 3)).toBe(true);
    g.observe('x.buddy.user.registered', 0, 0, 4);
    expect(g.holds('x.buddy.match.created', 5)).toBe(false);
    expect(g.holds('x.buddy.checkin.completed', 5)).toBe(false);
    g.observe('x.buddy.match.created', 0, 10, 6);
    expect(g.holds('x.buddy.checkin.completed', 7)).toBe(true);
    expect(g.holds('x.buddy.user.updated', 7)).toBe(false);
  });

  it('stops holding on a parent lag it has not heard of for staleMs', () => {
    const g = gate();
    g.observe('x.buddy.user.registered', 3, 500, 0);
    expect(g.holds('x.buddy.feedback.submitted', 999)).toBe(true);
    expect(g.holds('x.buddy.feedback.submitted', 1_000)).toBe(false);
  });

  it('holds nothing when off, and ignores topics outside the prefix', () => {
    const off = createBacklogGate({ topicPrefix: 'x.', enabled: false, staleMs: 1_000 });
    off.observe('x.buddy.user.registered', 0, 500, 0);
    expect(off.holds('x.buddy.checkin.completed', 1)).toBe(false);
    const g = gate();
    g.observe('y.buddy.user.registered', 0, 500, 0);
    expect(g.holds('x.buddy.checkin.completed', 1)).toBe(false);
    expect(g.tracks('y.buddy.user.registered')).toBe(false);
    expect(g.tracks('x.buddy.match.created')).toBe(true);
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

const SMALL = [
  '--seed',
  '5',
  '--participants',
  '12',
  '--buddies',
  '8',
  '--weeks',
  '6',
  '--invalid-rate',
  '0.02',
];

describe('bin/buddy-stream generate', () => {
  let stream: TestStream;
  let dir: string;

  beforeAll(async () => {
    stream = await createTestStream('generate');
    dir = await mkdtemp(join(tmpdir(), 'buddy-generate-'));
  });
  afterAll(async () => {
    await stream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same seeded programme to NDJSON every time', async () => {
    const a = await runCli(['generate', '--out', join(dir, 'a.ndjson'), ...SMALL, '--quiet'], stream.env);
    const b = await runCli(['generate', '--out', join(dir, 'b.ndjson'), ...SMALL, '--quiet'], stream.env);
    expect([a.code, b.code]).toEqual([0, 0]);
    const records = Number(/generate: (\d+) records/.exec(a.stdout)?.[1]);
    const text = await readFile(join(dir, 'a.ndjson'), 'utf8');
    expect(text).toBe(await readFile(join(dir, 'b.ndjson'), 'utf8'));
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(records);
    expect(lines[0]).toEqual({
      topic: expect.stringMatching(/^buddy\./),
      key: expect.any(String),
      value: expect.any(String),
    });
    expect(new Set(lines.map((l) => l.topic))).toContain('buddy.checkin.completed');
    expect(a.stdout).toMatch(/of 12 participants and 8 buddies/);
  });

  it('publishes to Kafka after TOPIC_PREFIX, and refuses without --yes', async () => {
    const refused = await runCli(['generate', '--to-kafka', ...SMALL], stream.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Add --yes');
    const both = await runCli(['generate'], stream.env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give --out <file> or --to-kafka');
    const bad = await runCli(['generate', '--out', '-', '--duplicate-rate', '2'], stream.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--duplicate-rate must be a number from 0 to 1');

    const result = await runCli(['generate', '--to-kafka', '--yes', '--quiet', ...SMALL], stream.env);
    expect(result.code).toBe(0);
    const records = Number(/generate: (\d+) records to t\.\S+buddy\.\*/.exec(result.stdout)?.[1]);
    const topics = (await stream.admin.listTopics()).filter((t) => t.startsWith(stream.config.TOPIC_PREFIX));
    let published = 0;
    for (const topic of topics)
      for (const p of await stream.admin.fetchTopicOffsets(topic)) published += Number(p.high);
    expect(published).toBeGreaterThanOrEqual(records); // a retried send may write a record twice
    const { processor } = await stream.startProcessor();
    await processor.waitUntilCaughtUp();
    expect(
      (await stream.pool.query('SELECT count(*)::int AS n FROM buddy_matches')).rows[0].n,
    ).toBeGreaterThan(0);
  });
});

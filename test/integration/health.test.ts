// /healthz, /readyz and the consumer lag as Kubernetes and Prometheus see them, and a SIGTERM that
// stops the real CLI cleanly within SHUTDOWN_TIMEOUT.
import { createServer } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '../../src/ops/metrics.ts';
import type { Operations } from '../../src/ops/operations.ts';
import type { Processor } from '../../src/processor.ts';
import { startCli } from '../support/cli.ts';
import { withAdmin } from '../support/database.ts';
import { flatEnvelope, validData } from '../support/samples.ts';
import { createTestStream, type TestStream } from '../support/stream.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const get = async (url: string) => {
  const response = await fetch(url);
  return { status: response.status, ok: response.ok, body: await response.text() };
};

describe('health, readiness and lag', () => {
  let stream: TestStream;
  let processor: Processor;
  let metrics: Metrics;
  let ops: Operations;
  beforeAll(async () => {
    stream = await createTestStream('health');
    stream.pool.on('error', () => undefined); // its idle connections are terminated below
    ({ processor, metrics, ops } = await stream.startProcessor({ LAG_POLL_INTERVAL: '300ms' }));
    await ops.start();
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('is ready in the group, not ready while Postgres refuses connections, ready again after', async () => {
    const ready = await eventually('ready', async () => ((await ops.ready()).ok ? ops.ready() : undefined));
    expect(ready.detail).toMatch(/^consuming \d+ partitions$/);
    const db = pg.escapeIdentifier(stream.db.name);
    await withAdmin(async (c) => {
      await c.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
      await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        stream.db.name,
      ]);
    });
    try {
      // A probe on a pooled connection the termination closed first reports that ('terminating
      // connection due to administrator command'); the next one opens a connection and is refused.
      const down = await eventually('not ready', async () => {
        const r = await ops.ready();
        return r.ok || /terminating connection/.test(r.detail) ? undefined : r;
      });
      expect(down.detail).toMatch(/^Postgres does not answer: .*not currently accepting connections/);
    } finally {
      await withAdmin((c) => c.query(`ALTER DATABASE ${db} ALLOW_CONNECTIONS true`));
    }
    await eventually('ready again', async () => ((await ops.ready()).ok ? true : undefined));
  });

  it('reports lag as the high watermark minus the stored offset, per partition it holds', async () => {
    const topic = stream.topic('buddy.checkin.completed');
    const lagOf = async () => {
      const { values } = await metrics.consumerLag.get();
      const mine = values.filter((v) => v.labels.topic === topic);
      return mine.length === 0 ? undefined : mine.reduce((n, v) => n + v.value, 0);
    };
    expect(await eventually('lag measured', lagOf)).toBe(0);
    processor.consumer.pause([{ topic }]);
    await stream.publish(
      [1, 2, 3, 4].map((i) => ({
        topic,
        key: `k${i}`,
        value: flatEnvelope('buddy.checkin.completed', {
          ...validData['buddy.checkin.completed'],
          checkinId: undefined,
        }),
      })),
    );
    expect(await eventually('lag of 4', async () => ((await lagOf()) === 4 ? 4 : undefined))).toBe(4);
    processor.consumer.resume([{ topic }]);
    expect(await eventually('lag back to 0', async () => ((await lagOf()) === 0 ? 0 : undefined))).toBe(0);
    const assigned = (await metrics.assignedPartitions.get()).values[0]!.value;
    expect(assigned).toBeGreaterThan(0);
  });

  it('is ready while idle in the group, holding no partition', async () => {
    const { ops: idle } = await stream.startProcessor({
      TOPIC_PATTERN: '^no-topic-matches-this$',
      KAFKA_GROUP_ID: `${stream.config.KAFKA_GROUP_ID}-idle`,
    });
    const ready = await eventually('idle ready', async () =>
      (await idle.ready()).ok ? idle.ready() : undefined,
    );
    expect(ready.detail).toBe('idle in the consumer group');
  });
});

describe('bin/buddy-stream run', () => {
  let stream: TestStream;
  beforeAll(async () => {
    stream = await createTestStream('sigterm');
  });
  afterAll(async () => {
    await stream?.close();
  });

  it('serves /healthz, /readyz and /metrics, and stops on SIGTERM within SHUTDOWN_TIMEOUT', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const cli = startCli(['run'], {
      ...stream.env,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT: '20s',
    });
    try {
      expect(
        await eventually('/healthz', async () =>
          (await get(`${base}/healthz`)).status === 200 ? 200 : undefined,
        ),
      ).toBe(200);
      const ready = await eventually('/readyz', async () => {
        const r = await get(`${base}/readyz`);
        return r.status === 200 ? r.body : undefined;
      });
      expect(ready).toMatch(/^ready: consuming \d+ partitions/);
      const { body } = await get(`${base}/metrics`);
      expect(body).toMatch(/^buddy_stream_build_info\{version="\d+\.\d+\.\d+",node="v\d+/m);
      expect(body).toMatch(/^buddy_stream_assigned_partitions [1-9]/m);
      expect(body).toMatch(/^buddy_stream_outbox_backlog_records 0$/m);
      expect(body).toMatch(/^buddy_stream_parked_events 0$/m);
    } catch (error) {
      cli.kill('SIGKILL');
      const { stderr } = await cli.exited;
      throw new Error(`${(error as Error).message}\nthe CLI's log:\n${stderr.slice(-4000)}`, {
        cause: error,
      });
    }
    cli.kill('SIGTERM');
    const started = Date.now();
    const result = await cli.exited;
    const elapsed = Date.now() - started;
    expect(result.code).toBe(0);
    // Measured about 10 s: each consumer's stop waits out its fetch long-poll (kafkajs maxWaitTime, 5 s).
    expect(elapsed).toBeLessThan(20_000 + 5_000);
    expect(result.stderr).toContain('"signal":"SIGTERM"');
    expect(result.stderr).not.toContain('"level":"error"');
  });

  it('stops on a SIGTERM that arrives while it is still starting', async () => {
    const port = await freePort();
    const cli = startCli(['run'], {
      ...stream.env,
      METRICS_PORT: String(port),
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT: '20s',
    });
    // The health server listens first; the consumer is still connecting and joining.
    await eventually('/healthz', async () =>
      (await get(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined,
    );
    cli.kill('SIGTERM');
    const result = await cli.exited;
    expect(result.signal).toBeNull();
    expect(
      result.code,
      result.stderr
        .split('\n')
        .filter((l) => /"level":"(error|warn)"/.test(l))
        .join('\n'),
    ).toBe(0);
  });
});

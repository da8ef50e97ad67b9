// The metrics follow Prometheus naming (prefix, units in the name, _total counters), build info is 1 with
// the version, and the database-state gauges ask their probe once per scrape.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/ops/metrics.ts';

const UNITS = /_(seconds|bytes|records|partitions|events|info|total|ratio)(_total)?$/;

describe('metrics', () => {
  it('are named the Prometheus way', async () => {
    const metrics = createMetrics(undefined, { defaults: false });
    const all = await metrics.registry.getMetricsAsJSON();
    expect(all.length).toBeGreaterThan(20);
    for (const { name, type } of all) {
      expect(name).toMatch(/^buddy_stream_[a-z0-9_]+$/);
      expect(name, `${name}: a unit or _total`).toMatch(UNITS);
      if (String(type) === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
    }
  });

  it('export build info: 1, with the version and the Node.js release', async () => {
    const metrics = createMetrics(undefined, { defaults: false });
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await metrics.registry.getSingleMetricAsString('buddy_stream_build_info')).toContain(
      `buddy_stream_build_info{version="${version}",node="${process.version}"} 1`,
    );
  });

  it('read the parked and outbox gauges from the state probe, once per scrape', async () => {
    const metrics = createMetrics(undefined, { defaults: false });
    let calls = 0;
    metrics.setStateProbe(async () => {
      calls++;
      return { parked: 3, parkedOldestAgeSeconds: 120.5, outboxBacklog: 7, outboxOldestAgeSeconds: 42 };
    });
    const text = await metrics.registry.metrics();
    expect(calls).toBe(1);
    expect(text).toMatch(/^buddy_stream_parked_events 3$/m);
    expect(text).toMatch(/^buddy_stream_parked_oldest_age_seconds 120.5$/m);
    expect(text).toMatch(/^buddy_stream_outbox_backlog_records 7$/m);
    expect(text).toMatch(/^buddy_stream_outbox_oldest_unsent_age_seconds 42$/m);
  });

  it('keep the last values when the probe fails', async () => {
    const metrics = createMetrics(undefined, { defaults: false });
    metrics.outboxBacklog.set(5);
    metrics.setStateProbe(() => Promise.reject(new Error('database down')));
    expect(await metrics.registry.metrics()).toMatch(/^buddy_stream_outbox_backlog_records 5$/m);
  });
});

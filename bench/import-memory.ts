// npx tsx bench/import-memory.ts [--rows N] [--publish]: peak memory (max RSS) and time of
// `buddy-stream import` over a users.csv and a checkins.csv of N rows each (default 1,000,000), measured
// by /usr/bin/time around the real CLI. --dry-run (validation only) always; with --publish also the real
// import to Kafka under a throwaway TOPIC_PREFIX (topics created and deleted here). Prints one line each.
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { createKafka } from '../src/kafka/client.ts';
import { allTopics, createTopics } from '../src/kafka/topics.ts';
import { createLogger } from '../src/ops/logger.ts';

const BIN = new URL('../bin/buddy-stream', import.meta.url).pathname;
const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, publish: { type: 'boolean' } },
});
const rows = Number(values.rows);

async function writeRows(path: string, header: string, row: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  for (let i = 0; i < rows; i++) if (!out.write(`${row(i)}\n`)) await once(out, 'drain');
  await new Promise<void>((resolve) => out.end(resolve));
}

function measure(
  args: string[],
  env: Record<string, string>,
): { rssMb: number; seconds: number; code: number | null } {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %M %e', BIN, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const match = /TIME (\d+) ([\d.]+)/.exec(result.stderr);
  if (!match) throw new Error(`no measurement: ${result.stderr.slice(-2000)}`);
  return { rssMb: Math.round(Number(match[1]) / 1024), seconds: Number(match[2]), code: result.status };
}

const dir = await mkdtemp(join(tmpdir(), 'buddy-import-bench-'));
try {
  const matchId = randomUUID();
  await writeRows(
    join(dir, 'users.csv'),
    'id,email,first_name,last_name,role,joined_at,language_preference,interests,location',
    (i) =>
      `${randomUUID()},user${i}@example.org,First${i},Last${i},${i % 3 ? 'participant' : 'buddy'},2025-01-06T09:00:00Z,en,"[""hiking"",""cooking""]",Oslo`,
  );
  await writeRows(
    join(dir, 'checkins.csv'),
    'checkin_id,match_id,checkin_date,mood,notes',
    (i) =>
      `${randomUUID()},${matchId},2025-02-10T08:30:00Z,good,"Week ${i}: settling in, still lonely some evenings."`,
  );
  const mb =
    ((await stat(join(dir, 'users.csv'))).size + (await stat(join(dir, 'checkins.csv'))).size) / 2 ** 20;
  process.stderr.write(`bench: ${rows} users + ${rows} checkins, ${mb.toFixed(0)} MB of CSV in ${dir}\n`);

  const dry = measure(['import', dir, '--dry-run', '--quiet'], {});
  console.log(
    `import --dry-run: ${2 * rows} rows, peak RSS ${dry.rssMb} MB, ${dry.seconds} s (exit ${dry.code})`,
  );

  if (values.publish) {
    const prefix = `bench.${randomBytes(3).toString('hex')}.`;
    const config = loadConfig({ ...process.env, TOPIC_PREFIX: prefix });
    const admin = createKafka(config, createLogger({ level: 'warn' })).admin();
    await admin.connect();
    const topics = allTopics(config).filter((t) => t.startsWith(prefix));
    await createTopics(admin, { partitions: 6, replicationFactor: 1 }, topics);
    try {
      const real = measure(['import', dir, '--yes', '--quiet'], { TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn' });
      console.log(
        `import (published to Kafka): ${2 * rows} rows, peak RSS ${real.rssMb} MB, ${real.seconds} s (exit ${real.code})`,
      );
    } finally {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

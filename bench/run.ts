// npm run bench [-- --events N]: buddy-stream measured side by side with a naive consumer and the COPY
// limit, in one run on this machine; writes bench/results/<date>.md and prints the summary line last.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createKafka } from '../src/kafka/client.ts';
import { copyInto, exportTables } from './copy-limit.ts';
import { runNaiveConsumer } from './naive-consumer.ts';
import {
  benchStream,
  count,
  describeEnv,
  imageEnv,
  latencyInProcess,
  type Latency,
  log,
  publishProgramme,
  rdkafkaLoads,
  runAnotherReader,
  runCli,
} from './support.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    'naive-events': { type: 'string', default: '20000' },
    rate: { type: 'string', default: '2000' },
    'latency-seconds': { type: 'string', default: '20' },
  },
});
const events = Number(values.events);
const naiveEvents = Math.min(events, Number(values['naive-events']));
const say = (line: string) => process.stderr.write(`bench: ${line}\n`);
const transport = (client: 'kafkajs' | 'rdkafka') => (client === 'rdkafka' ? 'librdkafka' : 'kafkajs');

async function main() {
  say(`${events} events, naive consumer on ${naiveEvents}, latency at ${values.rate}/s`);

  // (a) buddy-stream end to end, the events already in Kafka.
  const a = await benchStream('a');
  const stats = await publishProgramme(a, { seed: 42, targetEvents: events });
  say(`published ${stats.records} records (${stats.validEvents} distinct events)`);
  // As the image runs it: with the Dockerfile's NODE_OPTIONS (V8's heap cap) and MALLOC_ARENA_MAX.
  const image = imageEnv();
  const run = await runCli(['run', '--until-caught-up'], { ...a.env, ...image });
  // KAFKA_CLIENT of this run (kafkajs unless set), and the other transport.
  const client = a.config.KAFKA_CLIENT;
  const otherClient = client === 'rdkafka' ? 'kafkajs' : 'rdkafka';
  const otherLoads = otherClient === 'kafkajs' || rdkafkaLoads();
  if (run.code !== 0) throw new Error(`buddy-stream run exited ${run.code}`);
  const applied = await count(a.pool, 'SELECT count(*)::int AS n FROM buddy_system_events');
  const rateA = applied / run.seconds;
  say(
    `(a) buddy-stream: ${applied} events in ${run.seconds.toFixed(1)} s = ${rateA.toFixed(0)} events/s, peak RSS ${run.rssMb} MB`,
  );

  // (a) again with V8's default heap: what the cap costs and saves.
  const un = await runAnotherReader(a, 'heap', { ...image, NODE_OPTIONS: '' });
  say(`(a) with V8's default heap: ${un.rate.toFixed(0)} events/s, peak RSS ${un.rssMb} MB`);

  // (a) again on the other transport: the same topics, a fresh database and consumer group.
  let other: { rate: number; seconds: number; rssMb: number } | undefined;
  if (otherLoads) {
    other = await runAnotherReader(a, otherClient, { ...image, KAFKA_CLIENT: otherClient });
    say(`(a) on ${transport(otherClient)}: ${other.rate.toFixed(0)} events/s, peak RSS ${other.rssMb} MB`);
  } else say('(a) on librdkafka: skipped, node-rdkafka did not build here');

  // (e) replay from buddy_system_events, on (a)'s database.
  let rateE = NaN;
  const replay = await runCli(['replay', '--yes', '--quiet'], { ...a.env, ...image });
  if (replay.code === 0) rateE = applied / replay.seconds;
  say(
    `(e) replay: ${Number.isNaN(rateE) ? `not available (exit ${replay.code})` : `${rateE.toFixed(0)} events/s`}`,
  );

  // (c) the COPY limit: the same rows into fresh tables.
  const files = await exportTables(a.config.DATABASE_URL);
  await a.drop();
  const c = await benchStream('c');
  const copySeconds = await copyInto(c.config.DATABASE_URL, files);
  const rateC = applied / copySeconds;
  await c.drop();
  say(`(c) COPY limit: ${rateC.toFixed(0)} events/s`);

  // (b) the naive consumer, on a smaller programme of the same mix.
  const b = await benchStream('b');
  const naiveStats = await publishProgramme(b, { seed: 42, targetEvents: naiveEvents });
  const naive = await runNaiveConsumer(createKafka(b.config, log), {
    databaseUrl: b.config.DATABASE_URL,
    groupId: b.config.KAFKA_GROUP_ID,
    pattern: b.config.TOPIC_PATTERN,
    expectedEvents: naiveStats.validEvents,
  });
  const rateB = naive.events / naive.seconds;
  await b.drop();
  say(`(b) naive consumer: ${rateB.toFixed(0)} events/s`);

  // (d) latency under a steady rate, each in a process of its own with a fresh stream (topics, database,
  // consumer group): the default transport, then the other one.
  const steady = { rate: Number(values.rate), seconds: Number(values['latency-seconds']) };
  const latency = await latencyInProcess(steady);
  say(
    `(d) latency at ${values.rate}/s: p50 ${latency.p50} ms, p99 ${latency.p99} ms (${latency.samples} events)`,
  );
  let otherLatency: Latency | undefined;
  if (otherLoads) {
    otherLatency = await latencyInProcess({ ...steady, env: { KAFKA_CLIENT: otherClient } });
    say(`(d) on ${transport(otherClient)}: p50 ${otherLatency.p50} ms, p99 ${otherLatency.p99} ms`);
  }

  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `# Benchmark ${new Date().toISOString()}`,
    '',
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}; the local stack (Kafka 4.1, PostgreSQL at DATABASE_URL).`,
    `Command: \`npm run bench -- --events ${events}\` (naive consumer on ${naiveEvents} events).`,
    '',
    '| run | what | events/s | notes |',
    '|---|---|---|---|',
    `| (a) | buddy-stream end to end (events already in Kafka), on ${transport(client)} (\`KAFKA_CLIENT=${client}\`), as the image runs it (\`${describeEnv(image)}\`) | ${rateA.toFixed(0)} | ${applied} events, ${run.seconds.toFixed(1)} s, peak RSS ${run.rssMb} MB |`,
    `| (a) | the same with V8's default heap (no \`NODE_OPTIONS\`) | ${un.rate.toFixed(0)} | ${un.seconds.toFixed(1)} s, peak RSS ${un.rssMb} MB |`,
    `| (a) | the same on ${transport(otherClient)} (\`KAFKA_CLIENT=${otherClient}\`) | ${other ? other.rate.toFixed(0) : 'n/a'} | ${other ? `${other.seconds.toFixed(1)} s, peak RSS ${other.rssMb} MB` : 'node-rdkafka did not build'} |`,
    `| (b) | naive consumer (eachMessage, one transaction per event) | ${rateB.toFixed(0)} | ${naive.events} events |`,
    `| (c) | COPY of the same rows from prepared data | ${rateC.toFixed(0)} | no Kafka, no validation |`,
    `| (d) | latency at ${values.rate} events/s (the producer in its own process), on ${transport(client)} | p50 ${latency.p50} ms, p99 ${latency.p99} ms | ${latency.samples} events, ${latency.batches} batches |`,
    `| (d) | the same on ${transport(otherClient)} (\`KAFKA_CLIENT=${otherClient}\`) | ${otherLatency ? `p50 ${otherLatency.p50} ms, p99 ${otherLatency.p99} ms` : 'n/a'} | ${otherLatency ? `${otherLatency.samples} events, ${otherLatency.batches} batches` : 'node-rdkafka did not build'} |`,
    `| (e) | replay from buddy_system_events | ${Number.isNaN(rateE) ? 'n/a' : rateE.toFixed(0)} | |`,
    '',
    `a/b = ${(rateA / rateB).toFixed(1)}x, a/c = ${((100 * rateA) / rateC).toFixed(0)}%`,
    '',
  ].join('\n');
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${date}.md`, import.meta.url), table);
  process.stdout.write(table);
  process.stdout.write(
    `bench: ${rateA.toFixed(0)} events/s, ${(rateA / rateB).toFixed(1)}x naive, ${((100 * rateA) / rateC).toFixed(0)}% of COPY limit, p99 ${latency.p99} ms, rss ${run.rssMb} MB\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);

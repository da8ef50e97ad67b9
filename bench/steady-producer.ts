// The upstream producer of bench (d), in its own process as upstream services are: publishes the synthetic
// programme at a steady rate (RATE records a second, for SECONDS), in ticks of 100 ms, then exits.
// Each record's timestamp is set when it is sent; the processor measures produce-to-commit from it.
import { loadConfig } from '../src/config.ts';
import { createIdempotentProducer, createKafka } from '../src/kafka/client.ts';
import { iterateProgramme } from '../src/synthetic/generate.ts';
import { log } from './support.ts';

const rate = Number(process.env.RATE);
const seconds = Number(process.env.SECONDS);
const config = loadConfig();
const producer = createIdempotentProducer(createKafka(config, log));
await producer.connect();
// A programme much larger than needed; only the first rate x seconds records are sent.
const records = iterateProgramme({ seed: 99, targetEvents: rate * seconds * 2, duplicateRate: 0 });
const tickMs = 100;
const perTick = Math.round((rate * tickMs) / 1000);
// Generated before the clock starts: the generator's work is not the producer's.
const ticks: Map<string, { key: string | null; value: Buffer }[]>[] = [];
for (let tick = 0; tick < (seconds * 1000) / tickMs; tick++) {
  const byTopic = new Map<string, { key: string | null; value: Buffer }[]>();
  for (let i = 0; i < perTick; i++) {
    const next = records.next();
    if (next.done) break;
    const topic = config.TOPIC_PREFIX + next.value.record.topic;
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push({ key: next.value.record.key, value: next.value.record.value });
  }
  ticks.push(byTopic);
}
const started = performance.now();
for (const [tick, byTopic] of ticks.entries()) {
  await producer.sendBatch({
    acks: -1,
    topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
  });
  const wait = started + (tick + 1) * tickMs - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await producer.disconnect();
process.stdout.write(
  `sent ${ticks.length * perTick} records in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
);

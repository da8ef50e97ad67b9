// npx tsx bench/transports.ts [--records N] [--size B] [--partitions P] [--concurrency C] [--rounds R]:
// consumer throughput of the two Kafka transports in one process run, on the same records: (a) kafkajs
// consumer.run eachBatch, (b) the node-rdkafka facade (src/kafka/rdkafka-consumer.ts). Both are used as
// processor.ts uses its consumer (eachBatch, resolveOffset, commitOffsets after each batch), with no work
// per record, so this is the transport alone. Prints both rates and the ratio; writes nothing.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { EachBatchPayload } from 'kafkajs';
import { loadConfig } from '../src/config.ts';
import { createKafka, createUpstreamProducer } from '../src/kafka/client.ts';
import { createRdkafkaConsumer, type ConsumerTransport } from '../src/kafka/rdkafka-consumer.ts';
import { waitForLeaders } from '../src/kafka/topics.ts';
import { createLogger } from '../src/ops/logger.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    size: { type: 'string', default: '500' },
    partitions: { type: 'string', default: '12' },
    concurrency: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '1' },
  },
});
const records = Number(values.records);
const size = Number(values.size);
const partitions = Number(values.partitions);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const say = (line: string) => process.stderr.write(`transports: ${line}\n`);

const log = createLogger({ level: 'warn' });
const config = loadConfig();
const kafka = createKafka(config, log);
const id = randomBytes(3).toString('hex');
const topic = `bench.transports.${id}`;
// The processor's consumer settings (processor.ts): FETCH_MAX_BYTES_PER_PARTITION and FETCH_MAX_BYTES.
const fetchLimits = {
  maxBytesPerPartition: config.FETCH_MAX_BYTES_PER_PARTITION,
  maxBytes: config.FETCH_MAX_BYTES,
};

interface Measure {
  transport: string;
  records: number;
  /** Group joined (GROUP_JOIN) to the last record handed over: the transport's rate. */
  seconds: number;
  /** run() called to the last record: joining the group included. */
  totalSeconds: number;
  cpuSeconds: number;
  peakRssMb: number;
}

async function publish() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: false });
  await waitForLeaders(admin, [topic]);
  await admin.disconnect();
  const producer = createUpstreamProducer(kafka);
  await producer.connect();
  const filler = randomBytes(size)
    .toString('base64')
    .slice(0, Math.max(0, size - 60));
  const started = performance.now();
  for (let i = 0; i < records; i += 5_000) {
    const messages = [];
    for (let n = i; n < Math.min(records, i + 5_000); n++) {
      messages.push({
        partition: n % partitions,
        key: `user-${n % 1000}`,
        value: JSON.stringify({ id: n, type: 'bench.record', data: filler }),
      });
    }
    await producer.send({ topic, acks: 1, messages });
  }
  await producer.disconnect();
  say(`published ${records} records of ${size} bytes to ${partitions} partitions in ${elapsed(started)} s`);
}

const elapsed = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

/** Consumes every record of the topic in a new group, as the processor does; returns when all arrived. */
async function measure(transport: string, consumer: ConsumerTransport): Promise<Measure> {
  let seen = 0;
  let joined = 0;
  let peakRssMb = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const sampler = setInterval(() => {
    peakRssMb = Math.max(peakRssMb, Math.round(process.memoryUsage.rss() / 2 ** 20));
  }, 100);
  const eachBatch = async ({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload) => {
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const last = batch.messages[batch.messages.length - 1]!.offset;
    seen += batch.messages.length;
    resolveOffset(last);
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: String(BigInt(last) + 1n) },
    ]);
    if (seen >= records) done();
  };
  // From the join, not from the first record: kafkajs hands its first batches over only once a whole fetch
  // (up to 1 MiB per partition) has arrived, librdkafka as records come.
  consumer.on(consumer.events.GROUP_JOIN, () => (joined ||= performance.now()));
  await consumer.connect();
  await consumer.subscribe({ topics: [new RegExp(`^bench\\.transports\\.${id}$`)], fromBeginning: true });
  const cpu = process.cpuUsage();
  const started = performance.now();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: concurrency,
    eachBatch,
  });
  await all;
  const finished = performance.now();
  const used = process.cpuUsage(cpu);
  clearInterval(sampler);
  await consumer.disconnect();
  return {
    transport,
    records: seen,
    seconds: (finished - joined) / 1000,
    totalSeconds: (finished - started) / 1000,
    cpuSeconds: (used.user + used.system) / 1e6,
    peakRssMb,
  };
}

function kafkajsConsumer(round: number): ConsumerTransport {
  return kafka.consumer({
    groupId: `bench-transports-${id}-kafkajs-${round}`,
    ...fetchLimits,
    retry: { retries: 10 },
  });
}

function rdkafkaConsumer(round: number): ConsumerTransport {
  return createRdkafkaConsumer({
    config,
    groupId: `bench-transports-${id}-rdkafka-${round}`,
    ...fetchLimits,
    logger: log,
  });
}

function report(m: Measure) {
  const rate = m.records / m.seconds;
  say(
    `${m.transport}: ${m.records} records in ${m.seconds.toFixed(2)} s = ${rate.toFixed(0)} records/s ` +
      `(${m.totalSeconds.toFixed(2)} s with the group join), CPU ${m.cpuSeconds.toFixed(1)} s, peak RSS ${m.peakRssMb} MB`,
  );
  return rate;
}

async function main() {
  say(`${records} records, ${size} bytes, ${partitions} partitions, ${concurrency} partitions at once`);
  await publish();
  let rdkafkaAvailable = true;
  try {
    rdkafkaConsumer(0);
  } catch (error) {
    rdkafkaAvailable = false;
    say(`rdkafka: not measured: ${(error as Error).message}`);
  }
  const rates: Record<string, number[]> = { kafkajs: [], rdkafka: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      // Alternate which goes first, so neither always reads the freshly cached log.
      const order = round % 2 === 1 ? ['kafkajs', 'rdkafka'] : ['rdkafka', 'kafkajs'];
      for (const transport of order) {
        if (transport === 'rdkafka' && !rdkafkaAvailable) continue;
        const consumer = transport === 'kafkajs' ? kafkajsConsumer(round) : rdkafkaConsumer(round);
        rates[transport]!.push(report(await measure(transport, consumer)));
      }
    }
  } finally {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  const median = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)] ?? NaN;
  const a = median(rates.kafkajs!);
  const b = median(rates.rdkafka!);
  process.stdout.write(
    `transports: kafkajs ${a.toFixed(0)} records/s, rdkafka ${rdkafkaAvailable ? b.toFixed(0) : '-'} records/s, ` +
      `rdkafka/kafkajs ${rdkafkaAvailable ? (b / a).toFixed(2) : '-'}x\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: Error) => {
    say(`failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);

// The local Kafka broker: one KRaft node (broker + controller) run from jars fetched from Maven Central.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import {
  StackError,
  commandLine,
  isAlive,
  now,
  readPid,
  rel,
  seconds,
  sleep,
  stopProcess,
  tail,
} from './common.mjs';
import { DIR, FILES, checkJava, ensureLibs, formatStorage, javaArgs, writeConfig } from './kafka-setup.mjs';

const { Kafka, logLevel } = kafkajs;
const READY_TIMEOUT_MS = 60_000;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export async function kafkaUp() {
  const started = now();
  const target = kafkaTarget();
  if ((await probe(target.brokers)).ok) {
    return `already running on ${target.label} (${ownership()}; checked in ${seconds(started)})`;
  }
  if (!target.local) {
    throw new StackError(
      `no Kafka answers at ${target.label} (KAFKA_BROKERS), and only a local broker can be started`,
    );
  }
  const starting = ourBrokerPid();
  if (starting && (brokerPort() ?? target.port) !== target.port) {
    throw new StackError(
      `the broker this stack started (pid ${starting}) runs on port ${brokerPort()}, not ${target.port}: ` +
        'run `node scripts/stack.mjs down` first',
    );
  }
  if (starting) {
    await waitUntilReady(target, starting);
    return `running on ${target.label} (pid ${starting}, was still starting), ready in ${seconds(started)}`;
  }
  const java = await checkJava();
  await ensureLibs();
  mkdirSync(DIR, { recursive: true });
  writeConfig(target.port);
  await formatStorage(java);
  const pid = startBroker(java, target.port);
  await waitUntilReady(target, pid);
  return `started on ${target.label} in ${seconds(started)} (pid ${pid}, log ${rel(FILES.log)})`;
}

export async function kafkaDown() {
  const started = now();
  const pid = ourBrokerPid();
  if (!pid) return `no broker started by this stack is running (${kafkaTarget().label} left alone)`;
  const how = await stopProcess(pid, { graceMs: 30_000 });
  rmSync(FILES.pid, { force: true });
  return `${how} (pid ${pid}) in ${seconds(started)}`;
}

export async function kafkaStatus() {
  const target = kafkaTarget();
  const result = await probe(target.brokers);
  if (result.ok) return { up: true, line: `running on ${target.label} (${ownership()})` };
  const pid = ourBrokerPid();
  const why = pid ? `pid ${pid} is running but does not answer yet` : result.error.message;
  return { up: false, line: `not running on ${target.label} (${why})` };
}

/** The broker's data; the fetched jars (a download cache) and the logs stay. */
export function kafkaPurge() {
  rmSync(FILES.data, { recursive: true, force: true });
  rmSync(FILES.clusterId, { force: true });
}

function kafkaTarget() {
  const port = Number(process.env.KAFKA_PORT ?? 9092);
  const brokers = (process.env.KAFKA_BROKERS ?? `localhost:${port}`).split(',').map((b) => b.trim());
  const first = new URL(`kafka://${brokers[0]}`);
  return {
    brokers,
    label: brokers.join(','),
    local: brokers.length === 1 && LOCAL_HOSTS.has(first.hostname),
    port: Number(first.port || 9092),
  };
}

function ownership() {
  const pid = ourBrokerPid();
  return pid ? `pid ${pid}, started by this stack` : 'not started by this stack';
}

/** The port our broker was started on: the second line of kafka.pid. */
function brokerPort() {
  const port = Number.parseInt(readFileSync(FILES.pid, 'utf8').split('\n')[1] ?? '', 10);
  return Number.isInteger(port) ? port : undefined;
}

/** The pid in kafka.pid, when that process is still our broker (pids get recycled). */
function ourBrokerPid() {
  const pid = readPid(FILES.pid);
  if (pid && isAlive(pid) && commandLine(pid).includes(FILES.properties)) return pid;
  return undefined;
}

/**
 * Ready means what a test needs: the admin client connects, describes the cluster and lists topics. With
 * `thorough` (after a start) also what a fresh broker is slow at: a topic gets a leader (the controller
 * works), an idempotent producer gets a producer id, and the group coordinator has loaded its partitions.
 */
async function probe(brokers, { thorough = false } = {}) {
  const kafka = new Kafka({
    clientId: 'buddy-stream-stack',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    await admin.listTopics();
    if (thorough) await warmUp(kafka, admin);
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function warmUp(kafka, admin) {
  const topic = `__buddy_stream_stack_probe_${process.pid}`;
  await admin.createTopics({ topics: [{ topic }], waitForLeaders: true, timeout: 10_000 });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
  try {
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'probe' }] });
  } finally {
    await producer.disconnect();
  }
  await admin.describeGroups([topic]);
  await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
}

async function waitUntilReady(target, pid) {
  const deadline = now() + READY_TIMEOUT_MS;
  while (now() < deadline) {
    if (!isAlive(pid)) {
      rmSync(FILES.pid, { force: true });
      const output = [tail(FILES.log), tail(FILES.stdout)].filter(Boolean).join('\n');
      throw new StackError(`the broker exited while starting; last lines of its logs:\n${output}`);
    }
    if ((await probe(target.brokers, { thorough: true })).ok) return;
    await sleep(500);
  }
  throw new StackError(
    `the broker (pid ${pid}) did not become ready on ${target.label} within ${READY_TIMEOUT_MS / 1000} s; ` +
      `see ${rel(FILES.log)}`,
  );
}

/** Detached in its own session, so neither this script's exit nor a Ctrl-C in its terminal stops it. */
function startBroker(java, port) {
  const out = openSync(FILES.stdout, 'a');
  const child = spawn(java, [...javaArgs(), 'kafka.Kafka', FILES.properties], {
    cwd: DIR,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  writeFileSync(FILES.pid, `${child.pid}\n${port}\n`);
  return child.pid;
}

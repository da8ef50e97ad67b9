// A second, optional local broker that requires authentication: SASL (SCRAM-SHA-256, SCRAM-SHA-512,
// PLAIN) on a plaintext listener and on a TLS listener, for the tests of buddy-stream's Kafka security
// settings. Same jars as the main broker, its own data in .stack/kafka-sasl, a small heap.
//
//   127.0.0.1:9192  SASL_PLAINTEXT     127.0.0.1:9193  controller     127.0.0.1:9194  SASL_SSL
//
// The SCRAM credentials are added when the storage is formatted (kafka-storage format --add-scram); the
// passwords are random, made once, and written with the TLS CA to .stack/kafka-sasl/client.json, which
// the tests read. KAFKA_SASL_PORT moves the three ports (port, port + 1, port + 2).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import {
  STATE_DIR,
  StackError,
  commandLine,
  isAlive,
  now,
  readPid,
  rel,
  run,
  seconds,
  sleep,
} from './common.mjs';
import { stopProcess, tail } from './common.mjs';
import { FILES as MAIN, checkJava, ensureLibs, log4jConfig } from './kafka-setup.mjs';

const { Kafka, logLevel } = kafkajs;
const DIR = path.join(STATE_DIR, 'kafka-sasl');
const FILES = {
  properties: path.join(DIR, 'server.properties'),
  log4j: path.join(DIR, 'log4j2.xml'),
  log: path.join(DIR, 'kafka.log'),
  stdout: path.join(DIR, 'kafka.out'),
  data: path.join(DIR, 'data'),
  pid: path.join(DIR, 'kafka.pid'),
  secrets: path.join(DIR, 'secrets.json'),
  keystore: path.join(DIR, 'broker.p12'),
  ca: path.join(DIR, 'ca.pem'),
  client: path.join(DIR, 'client.json'),
};
const READY_TIMEOUT_MS = 90_000;
const JVM_OPTIONS = ['-Xms128m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError'];
const port = () => Number(process.env.KAFKA_SASL_PORT ?? 9192);

export async function kafkaSaslUp() {
  const started = now();
  const pid = ourPid();
  if (pid && (await probe()).ok) return `already running on 127.0.0.1:${port()} (pid ${pid})`;
  if (pid) {
    await waitUntilReady(pid);
    return `running on 127.0.0.1:${port()} (pid ${pid}, was still starting), ready in ${seconds(started)}`;
  }
  const java = await checkJava();
  await ensureLibs();
  mkdirSync(DIR, { recursive: true });
  const secrets = ensureSecrets();
  await ensureKeystore(java, secrets);
  writeConfig(secrets);
  await formatStorage(java, secrets);
  const child = startBroker(java);
  await waitUntilReady(child);
  return `started on 127.0.0.1:${port()} (SASL) and :${port() + 2} (SASL_SSL) in ${seconds(started)} (pid ${child})`;
}

export async function kafkaSaslDown() {
  const pid = ourPid();
  if (!pid) return 'not running';
  const how = await stopProcess(pid, { graceMs: 20_000 });
  rmSync(FILES.pid, { force: true });
  return `${how} (pid ${pid})`;
}

export async function kafkaSaslStatus() {
  const pid = ourPid();
  if (!pid) return { up: false, line: 'not running (optional: `up --with-sasl`)' };
  const result = await probe();
  return result.ok
    ? { up: true, line: `running on 127.0.0.1:${port()} (pid ${pid})` }
    : { up: false, line: `pid ${pid} does not answer yet (${result.error.message})` };
}

export function kafkaSaslPurge() {
  rmSync(FILES.data, { recursive: true, force: true });
}

function ourPid() {
  const pid = readPid(FILES.pid);
  return pid && isAlive(pid) && commandLine(pid).includes(FILES.properties) ? pid : undefined;
}

/** Random passwords, made once: `admin` (the broker's own connections) and `buddy` (the client). */
function ensureSecrets() {
  if (!existsSync(FILES.secrets)) {
    const secret = () => randomBytes(12).toString('base64url');
    const secrets = { admin: secret(), buddy: secret(), keystore: secret() };
    writeFileSync(FILES.secrets, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return JSON.parse(readFileSync(FILES.secrets, 'utf8'));
}

/** A self-signed certificate for 127.0.0.1 and localhost (keytool ships with the JDK); its PEM is the CA. */
async function ensureKeystore(java, secrets) {
  if (existsSync(FILES.keystore) && existsSync(FILES.ca)) return;
  const keytool = java.includes(path.sep) ? path.join(path.dirname(java), 'keytool') : 'keytool';
  const common = ['-keystore', FILES.keystore, '-storetype', 'PKCS12', '-storepass', secrets.keystore];
  rmSync(FILES.keystore, { force: true });
  const steps = [
    ['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650'],
    ['-dname', 'CN=localhost', '-ext', 'SAN=ip:127.0.0.1,dns:localhost'],
  ];
  const made = await run(keytool, [...steps.flat(), ...common]);
  const pem = await run(keytool, ['-exportcert', '-rfc', '-alias', 'broker', ...common]);
  if (made.status !== 0 || pem.status !== 0) {
    throw new StackError(`keytool could not make the SASL_SSL certificate:\n${made.output}${pem.output}`);
  }
  writeFileSync(FILES.ca, pem.output.slice(pem.output.indexOf('-----BEGIN')));
}

function writeConfig(secrets) {
  const [plain, controller, tls] = [port(), port() + 1, port() + 2];
  const scram = `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${secrets.admin}";`;
  const plainUsers = `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${secrets.admin}" user_admin="${secrets.admin}" user_buddy="${secrets.buddy}";`;
  const properties = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controller}`,
    listeners: `SASL_PLAINTEXT://127.0.0.1:${plain},CONTROLLER://127.0.0.1:${controller},SASL_SSL://127.0.0.1:${tls}`,
    'advertised.listeners': `SASL_PLAINTEXT://127.0.0.1:${plain},SASL_SSL://127.0.0.1:${tls}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'listener.security.protocol.map': 'SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    ...Object.fromEntries(
      ['sasl_plaintext', 'sasl_ssl'].flatMap((listener) => [
        [`listener.name.${listener}.scram-sha-256.sasl.jaas.config`, scram],
        [`listener.name.${listener}.scram-sha-512.sasl.jaas.config`, scram],
        [`listener.name.${listener}.plain.sasl.jaas.config`, plainUsers],
      ]),
    ),
    'listener.name.sasl_ssl.ssl.keystore.location': FILES.keystore,
    'listener.name.sasl_ssl.ssl.keystore.type': 'PKCS12',
    'listener.name.sasl_ssl.ssl.keystore.password': secrets.keystore,
    'listener.name.sasl_ssl.ssl.key.password': secrets.keystore,
    'log.dirs': FILES.data,
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 4,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'num.network.threads': 2,
    'num.io.threads': 2,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
  };
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${value}`);
  writeFileSync(
    FILES.properties,
    `# Written by scripts/stack/kafka-sasl.mjs on every \`up --with-sasl\`.\n${lines.join('\n')}\n`,
    {
      mode: 0o600,
    },
  );
  writeFileSync(FILES.log4j, log4jConfig(FILES.log));
  const client = {
    saslBrokers: [`127.0.0.1:${plain}`],
    sslBrokers: [`127.0.0.1:${tls}`],
    caFile: FILES.ca,
    username: 'buddy',
    password: secrets.buddy,
  };
  writeFileSync(FILES.client, `${JSON.stringify(client, null, 2)}\n`, { mode: 0o600 });
}

async function formatStorage(java, secrets) {
  if (existsSync(path.join(FILES.data, 'meta.properties'))) return;
  const clusterId = randomBytes(16).toString('base64url').replace(/^-/, 'A');
  const scram = [
    `SCRAM-SHA-512=[name=admin,password=${secrets.admin}]`,
    `SCRAM-SHA-256=[name=buddy,password=${secrets.buddy}]`,
    `SCRAM-SHA-512=[name=buddy,password=${secrets.buddy}]`,
  ].flatMap((credential) => ['--add-scram', credential]);
  const args = ['kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', FILES.properties];
  const result = await run(java, [...jvmArgs(), ...args, ...scram]);
  if (result.status !== 0) throw new StackError(`formatting ${rel(FILES.data)} failed:\n${result.output}`);
}

function jvmArgs() {
  return [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${FILES.log4j}`, '-cp', path.join(MAIN.libs, '*')];
}

function startBroker(java) {
  const out = openSync(FILES.stdout, 'a');
  const child = spawn(java, [...jvmArgs(), 'kafka.Kafka', FILES.properties], {
    cwd: DIR,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();
  writeFileSync(FILES.pid, `${child.pid}\n`);
  return child.pid;
}

/** Ready: SCRAM-SHA-512 login works, a topic gets a leader and an idempotent producer can write. */
async function probe({ thorough = false } = {}) {
  if (!existsSync(FILES.client)) return { ok: false, error: new Error(`${rel(FILES.client)} is missing`) };
  const client = JSON.parse(readFileSync(FILES.client, 'utf8'));
  const kafka = new Kafka({
    clientId: 'buddy-stream-stack',
    brokers: client.saslBrokers,
    sasl: { mechanism: 'scram-sha-512', username: client.username, password: client.password },
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    if (thorough) {
      const topic = `__buddy_stream_stack_probe_${process.pid}`;
      await admin.createTopics({ topics: [{ topic }], waitForLeaders: true, timeout: 10_000 });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1 } });
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'probe' }] }).finally(() => producer.disconnect());
      await admin.deleteTopics({ topics: [topic], timeout: 10_000 });
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function waitUntilReady(pid) {
  const deadline = now() + READY_TIMEOUT_MS;
  while (now() < deadline) {
    if (!isAlive(pid)) {
      rmSync(FILES.pid, { force: true });
      throw new StackError(
        `the SASL broker exited while starting:\n${tail(FILES.log)}\n${tail(FILES.stdout)}`,
      );
    }
    if ((await probe({ thorough: true })).ok) return;
    await sleep(500);
  }
  throw new StackError(
    `the SASL broker (pid ${pid}) was not ready within ${READY_TIMEOUT_MS / 1000} s; see ${rel(FILES.log)}`,
  );
}

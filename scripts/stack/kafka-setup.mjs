// What the local broker runs from: a Java check, the jars (fetched once), config files, formatted storage.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, STATE_DIR, StackError, rel, run, tail } from './common.mjs';

const POM = path.join(ROOT, 'stack', 'kafka', 'pom.xml');
export const DIR = path.join(STATE_DIR, 'kafka');
export const FILES = {
  libs: path.join(DIR, 'libs'),
  libsStamp: path.join(DIR, 'libs.pom-sha256'),
  properties: path.join(DIR, 'server.properties'),
  log4j: path.join(DIR, 'log4j2.xml'),
  log: path.join(DIR, 'kafka.log'),
  stdout: path.join(DIR, 'kafka.out'),
  data: path.join(DIR, 'data'),
  clusterId: path.join(DIR, 'cluster-id'),
  pid: path.join(DIR, 'kafka.pid'),
};
// Light on a 2-core box: a small fixed heap and the serial collector.
const JVM_OPTIONS = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:+ExitOnOutOfMemoryError'];

/** JAVA_HOME's java, else the one on PATH; Kafka 4 needs 17 or newer. */
export async function checkJava() {
  const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const result = await run(java, ['-version']);
  if (result.error?.code === 'ENOENT') {
    throw new StackError(
      `Kafka needs Java 17 or newer: \`${java}\` was not found${java === 'java' ? ' on PATH' : ''}`,
    );
  }
  const version = /version "([^"]+)"/.exec(result.output)?.[1] ?? 'unknown';
  const [first, second] = version.split('.').map(Number);
  const major = first === 1 ? second : first;
  if (!(major >= 17)) {
    throw new StackError(`Kafka needs Java 17 or newer: \`${java} -version\` reports ${version}`);
  }
  return java;
}

/** Fetches the broker's jars once, and again only when stack/kafka/pom.xml changes. */
let fetching;

/**
 * The Kafka jars, fetched once: the broker and the SASL broker start side by side and share one fetch
 * (two Maven runs into the same folder would race).
 */
export function ensureLibs() {
  fetching ??= fetchLibs().finally(() => {
    fetching = undefined;
  });
  return fetching;
}

async function fetchLibs() {
  const pomHash = createHash('sha256').update(readFileSync(POM)).digest('hex');
  if (
    existsSync(FILES.libs) &&
    existsSync(FILES.libsStamp) &&
    readFileSync(FILES.libsStamp, 'utf8') === pomHash
  ) {
    return;
  }
  if ((await run('mvn', ['-v'])).error?.code === 'ENOENT') {
    throw new StackError('Kafka is fetched from Maven Central with Maven: `mvn` was not found on PATH');
  }
  const staging = `${FILES.libs}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const args = [
    '-q',
    '-B',
    'dependency:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ];
  const result = await run('mvn', [...args, '-f', POM]);
  if (result.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const output = result.output.trim().split('\n').slice(-20).join('\n');
    throw new StackError(`fetching the Kafka jars with Maven failed:\n${output}`);
  }
  rmSync(FILES.libs, { recursive: true, force: true });
  renameSync(staging, FILES.libs);
  writeFileSync(FILES.libsStamp, pomHash);
}

/** Written on every `up`, so edits here take effect at the next start. */
export function writeConfig(port) {
  const controllerPort = port + 1;
  const properties = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': FILES.data,
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Fewer internal partitions and threads and a smaller cleaner buffer than the defaults (50, 50, 3, 8,
    // 128 MB): one developer's machine, not a production cluster.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    'num.network.threads': 2,
    'num.io.threads': 4,
    'log.cleaner.dedupe.buffer.size': 32 * 1024 * 1024,
  };
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${value}`);
  writeFileSync(
    FILES.properties,
    `# Written by scripts/stack.mjs on every \`up\`: edit that, not this.\n${lines.join('\n')}\n`,
  );
  writeFileSync(FILES.log4j, log4jConfig(FILES.log));
}

export function log4jConfig(logFile) {
  const file = logFile.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by scripts/stack.mjs: warnings and errors, plus the broker's "started" line, size-capped. -->
<Configuration status="warn">
  <Appenders>
    <RollingFile name="file" fileName="${file}" filePattern="${file}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <SizeBasedTriggeringPolicy size="10 MB"/>
      <DefaultRolloverStrategy max="2" fileIndex="min"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Logger name="kafka.server.KafkaRaftServer" level="info"/>
    <Root level="warn"><AppenderRef ref="file"/></Root>
  </Loggers>
</Configuration>
`;
}

/** Formats the storage directory once; the cluster id is kept so a purge-free restart reuses it. */
export async function formatStorage(java) {
  if (existsSync(path.join(FILES.data, 'meta.properties'))) return;
  if (!existsSync(FILES.clusterId)) writeFileSync(FILES.clusterId, `${randomClusterId()}\n`);
  const clusterId = readFileSync(FILES.clusterId, 'utf8').trim();
  const args = ['kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', FILES.properties];
  const result = await run(java, [...javaArgs(), ...args, '--ignore-formatted']);
  if (result.status !== 0) {
    throw new StackError(`formatting ${rel(FILES.data)} failed:\n${result.output}${tail(FILES.log)}`);
  }
}

/** What `StorageTool random-uuid` prints (16 random bytes, base64url), without starting a JVM for it. */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function javaArgs() {
  return [...JVM_OPTIONS, `-Dlog4j2.configurationFile=${FILES.log4j}`, '-cp', path.join(FILES.libs, '*')];
}

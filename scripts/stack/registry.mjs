// The local schema registry: Apicurio Registry 3 from Maven Central (the Quarkus app tarball), run with
// in-memory storage; its Confluent-compatible API is http://localhost:8081/apis/ccompat/v7. Started only by
// `up --with-registry`; `down` stops it like the rest.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
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
  stopProcess,
  tail,
} from './common.mjs';

const VERSION = '3.3.3';
const ARTIFACT = `io.apicurio:apicurio-registry-app:${VERSION}:tar.gz:all`;
const DEFAULT_URL = 'http://localhost:8081/apis/ccompat/v7';
const API_PATH = '/apis/ccompat/v7';
const DIR = path.join(STATE_DIR, 'registry');
const FILES = {
  app: path.join(DIR, `app-${VERSION}`),
  jar: path.join(DIR, `app-${VERSION}`, 'quarkus-run.jar'),
  log: path.join(DIR, 'registry.log'),
  pid: path.join(DIR, 'registry.pid'),
};
const READY_TIMEOUT_MS = 90_000;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Apicurio 3.3 is compiled for Java 21 (class file 65). */
const MIN_JAVA = 21;
// Light on a 2-core box: a small heap, the serial collector, the C1 compiler only (starts faster).
const JVM_OPTIONS = [
  '-Xms64m',
  '-Xmx256m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:+ExitOnOutOfMemoryError',
];

export async function registryUp() {
  const started = now();
  const target = registryTarget();
  if (await answers(target.url)) return `already running at ${target.url} (${ownership()})`;
  if (!target.local)
    throw new StackError(`no schema registry answers at ${target.url} (SCHEMA_REGISTRY_URL)`);
  if (target.path !== API_PATH) {
    throw new StackError(
      `nothing answers at ${target.url}, and the local Apicurio serves the Confluent API at ${API_PATH}`,
    );
  }
  const running = ourPid();
  if (running) {
    await waitUntilReady(target, running);
    return `running at ${target.url} (pid ${running}, was still starting), ready in ${seconds(started)}`;
  }
  const java = await findJava();
  const fetched = await ensureApp();
  const pid = start(java, target.port);
  await waitUntilReady(target, pid);
  const how = fetched ? `fetched and unpacked Apicurio Registry ${VERSION}, started` : 'started';
  return `${how} at ${target.url} in ${seconds(started)} (pid ${pid}, log ${rel(FILES.log)})`;
}

export async function registryDown() {
  const started = now();
  const pid = ourPid();
  if (!pid) return `no registry started by this stack is running (${registryTarget().url} left alone)`;
  const how = await stopProcess(pid, { graceMs: 20_000 });
  rmSync(FILES.pid, { force: true });
  return `${how} (pid ${pid}) in ${seconds(started)}`;
}

export async function registryStatus() {
  const { url } = registryTarget();
  if (await answers(url)) return { up: true, line: `running at ${url} (${ownership()})` };
  const pid = ourPid();
  const why = pid ? `pid ${pid} is running but does not answer yet` : 'start it with `up --with-registry`';
  return { up: false, line: `not running at ${url} (${why})` };
}

/** In-memory storage: nothing to purge but the log (the unpacked app is a download cache). */
export function registryPurge() {
  rmSync(FILES.log, { force: true });
}

function registryTarget() {
  const url = new URL(process.env.SCHEMA_REGISTRY_URL || DEFAULT_URL);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  url.username = '';
  url.password = '';
  const printable = url.toString().replace(/\/+$/, '');
  return {
    url: printable,
    local: LOCAL_HOSTS.has(url.hostname),
    port,
    path: url.pathname.replace(/\/+$/, ''),
  };
}

async function answers(url) {
  try {
    // Through globalThis: the lint config declares only the Node globals the scripts used so far.
    const response = await globalThis.fetch(`${url}/subjects`, {
      signal: globalThis.AbortSignal.timeout(2_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function ownership() {
  const pid = ourPid();
  return pid ? `pid ${pid}, started by this stack` : 'not started by this stack';
}

function ourPid() {
  const pid = readPid(FILES.pid);
  return pid && isAlive(pid) && commandLine(pid).includes(FILES.jar) ? pid : undefined;
}

/** JAVA_HOME's java, the one on PATH, or the newest JDK under /usr/lib/jvm: the first that is 21 or newer. */
async function findJava() {
  const candidates = [
    ...(process.env.JAVA_HOME ? [path.join(process.env.JAVA_HOME, 'bin', 'java')] : []),
    'java',
    ...jdksUnder('/usr/lib/jvm'),
  ];
  const seen = [];
  for (const java of candidates) {
    const result = await run(java, ['-version']);
    if (result.error) continue;
    const version = /version "([^"]+)"/.exec(result.output)?.[1] ?? 'unknown';
    const [first, second] = version.split('.').map(Number);
    const major = first === 1 ? second : first;
    if (major >= MIN_JAVA) return java;
    seen.push(`${java} is ${version}`);
  }
  throw new StackError(
    `Apicurio Registry ${VERSION} needs Java ${MIN_JAVA} or newer (${seen.join('; ') || 'no java found'}): ` +
      'install one under /usr/lib/jvm or set JAVA_HOME',
  );
}

function jdksUnder(dir) {
  if (!existsSync(dir)) return [];
  const majorOf = (name) => Number(/(\d+)/.exec(name)?.[1] ?? 0);
  return readdirSync(dir)
    .sort((a, b) => majorOf(b) - majorOf(a))
    .map((name) => path.join(dir, name, 'bin', 'java'))
    .filter((java) => existsSync(java));
}

/** Fetches the app tarball with Maven (cached in ~/.m2) and unpacks it once; true when it did. */
async function ensureApp() {
  if (existsSync(FILES.jar)) return false;
  if ((await run('mvn', ['-v'])).error?.code === 'ENOENT') {
    throw new StackError(
      'Apicurio Registry is fetched from Maven Central with Maven: `mvn` was not found on PATH',
    );
  }
  const staging = `${FILES.app}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const copy = ['-q', '-B', 'dependency:copy', `-Dartifact=${ARTIFACT}`, `-DoutputDirectory=${staging}`];
    const fetched = await run('mvn', copy, { cwd: staging });
    if (fetched.status !== 0) {
      const output = fetched.output.trim().split('\n').slice(-20).join('\n');
      throw new StackError(`fetching ${ARTIFACT} with Maven failed:\n${output}`);
    }
    const tarball = path.join(staging, `apicurio-registry-app-${VERSION}-all.tar.gz`);
    const unpacked = await run('tar', ['-xzf', tarball, '-C', staging]);
    if (unpacked.status !== 0) throw new StackError(`unpacking ${rel(tarball)} failed:\n${unpacked.output}`);
    rmSync(tarball);
    rmSync(FILES.app, { recursive: true, force: true });
    renameSync(staging, FILES.app);
    return true;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Detached in its own session, like the broker, so it outlives this script. */
function start(java, port) {
  mkdirSync(DIR, { recursive: true });
  const out = openSync(FILES.log, 'a');
  const properties = {
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': port,
    // The management interface (health, metrics) is built in; keep it local, on any free port.
    'quarkus.management.host': '127.0.0.1',
    'quarkus.management.port': 0,
    'quarkus.http.access-log.enabled': false,
    'quarkus.banner.enabled': false,
    'quarkus.log.level': 'WARN',
    'quarkus.log.category."io.apicurio".level': 'WARN',
  };
  const args = [
    ...JVM_OPTIONS,
    ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
    '-jar',
    FILES.jar,
  ];
  const child = spawn(java, args, { cwd: FILES.app, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  writeFileSync(FILES.pid, `${child.pid}\n${port}\n`);
  return child.pid;
}

async function waitUntilReady(target, pid) {
  const deadline = now() + READY_TIMEOUT_MS;
  while (now() < deadline) {
    if (!isAlive(pid)) {
      rmSync(FILES.pid, { force: true });
      throw new StackError(`the registry exited while starting; last lines of its log:\n${tail(FILES.log)}`);
    }
    if (await answers(target.url)) return;
    await sleep(250);
  }
  throw new StackError(
    `the registry (pid ${pid}) did not answer at ${target.url} within ${READY_TIMEOUT_MS / 1000} s; see ${rel(FILES.log)}`,
  );
}

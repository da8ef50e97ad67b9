// What the stack scripts share: where state lives, one lock, and handling of detached processes.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STATE_DIR = path.join(ROOT, '.stack');
const LOCK_FILE = path.join(STATE_DIR, 'lock');
const LOCK_WAIT_MS = 5 * 60_000;

/** An expected failure: its message is for the user, so no stack trace is printed. */
export class StackError extends Error {}

export const now = () => performance.now();
export const seconds = (startMs) => `${((performance.now() - startMs) / 1000).toFixed(1)}s`;

/** `.stack/...` rather than an absolute path, for messages. */
export const rel = (file) => path.relative(ROOT, file);

export function tail(file, lines = 15) {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export function readPid(file) {
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return error.code === 'EPERM';
  }
  // A zombie has exited; in a container whose PID 1 does not reap orphans it would stay one forever.
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return true; // no /proc (not Linux): the signal test above is all there is
  }
}

/** The process's command line, so a recycled pid is never mistaken for ours (Linux; '' elsewhere). */
export function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Runs a command to completion without blocking the event loop: { status, output, error }. */
export function run(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ status: null, output, error }));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Signals the process, waits for it to go, and kills it when it outlives the grace period. */
export async function stopProcess(pid, { signal = 'SIGTERM', graceMs = 30_000 } = {}) {
  if (!isAlive(pid)) return 'gone';
  process.kill(pid, signal);
  const deadline = now() + graceMs;
  while (now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  return 'killed';
}

/**
 * Runs fn while holding .stack/lock, so two test runs calling `up` at once do not both start a broker.
 * The lock file appears complete (hard link of a file already holding our pid), so a reader never sees it
 * empty; a lock whose owner died is taken over.
 */
export async function withLock(fn) {
  mkdirSync(STATE_DIR, { recursive: true });
  const mine = `${LOCK_FILE}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  const release = () => {
    if (readPid(LOCK_FILE) === process.pid) unlinkSync(LOCK_FILE);
  };
  const started = now();
  try {
    let announced = false;
    for (;;) {
      try {
        linkSync(mine, LOCK_FILE);
        break;
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
      }
      const owner = readPid(LOCK_FILE);
      if (owner !== undefined && !isAlive(owner)) {
        // Re-read just before removing, to narrow the window in which another process takes it over too.
        if (readPid(LOCK_FILE) === owner) unlinkSync(LOCK_FILE);
        continue;
      }
      if (now() - started > LOCK_WAIT_MS) {
        throw new StackError(`another stack.mjs (pid ${owner}) has held ${rel(LOCK_FILE)} for 5 minutes`);
      }
      if (!announced) console.log(`stack: waiting for another stack.mjs (pid ${owner}) to finish`);
      announced = true;
      await sleep(250);
    }
  } finally {
    unlinkSync(mine);
  }
  process.on('exit', release);
  try {
    return await fn();
  } finally {
    release();
    process.removeListener('exit', release);
  }
}

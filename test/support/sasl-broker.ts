// The broker that requires SASL (scripts/stack/kafka-sasl.mjs), started by `npm test` through
// `node scripts/stack.mjs up --with-sasl`. Its random credentials and TLS CA are in client.json.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SaslBroker {
  saslBrokers: string[];
  sslBrokers: string[];
  caFile: string;
  username: string;
  password: string;
}

const CLIENT = fileURLToPath(new URL('../../.stack/kafka-sasl/client.json', import.meta.url));

export function saslBroker(): SaslBroker {
  if (!existsSync(CLIENT)) {
    throw new Error(
      'The SASL test broker is not running: start it with `node scripts/stack.mjs up --with-sasl` ' +
        '(`npm test` does this first).',
    );
  }
  return JSON.parse(readFileSync(CLIENT, 'utf8')) as SaslBroker;
}

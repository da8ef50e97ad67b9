// The real schema registry for tests: Apicurio Registry started by `node scripts/stack.mjs up --with-registry`
// (npm test does), at SCHEMA_REGISTRY_URL or its default; plus a proxy in front of it that can play dead.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createRegistryAdmin, type RegistryAdmin } from '../../src/kafka/schema-registry-admin.ts';

export const REGISTRY_URL = process.env.SCHEMA_REGISTRY_URL || 'http://localhost:8081/apis/ccompat/v7';

/** The registry's admin client; fails the test with the command to run when no registry answers. */
export async function requireRegistry(): Promise<RegistryAdmin> {
  try {
    const response = await fetch(`${REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(5_000) });
    if (!response.ok) throw new Error(`status ${response.status}`);
  } catch (error) {
    throw new Error(
      `no schema registry answers at ${REGISTRY_URL} (${(error as Error).message}): ` +
        'start it with `npm run stack:up -- --with-registry`',
    );
  }
  return createRegistryAdmin(REGISTRY_URL);
}

/** Deletes the subjects whose names start with `prefix` (the registry keeps them in memory only). */
export async function deleteSubjects(admin: RegistryAdmin, prefix: string): Promise<void> {
  // Once more if the registry closed the kept-alive connection as the request went out ("other side
  // closed", seen once in a full run): the GET is safe to repeat.
  const list = () => fetch(`${REGISTRY_URL}/subjects`);
  const response = await list().catch(list);
  const subjects = (await response.json()) as string[];
  for (const subject of subjects.filter((s) => s.startsWith(prefix))) {
    await admin.deleteSubject(subject).catch(() => undefined);
  }
}

export interface RegistryProxy {
  /** The Confluent API base through the proxy. */
  url: string;
  /** Requests that arrived while it was down (each one dropped). */
  refused: number;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/** Forwards to the real registry; while down, drops every connection as a dead registry would. */
export async function registryProxy(): Promise<RegistryProxy> {
  const target = new URL(REGISTRY_URL);
  let down = true;
  const state = { refused: 0 };
  const server = http.createServer((req, res) => {
    if (down) {
      state.refused++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const headers = { ...(req.headers as Record<string, string>) };
      delete headers.host;
      fetch(new URL(req.url ?? '/', target.origin), { method: req.method, headers, body })
        .then(async (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'text/plain',
          });
          res.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => res.socket?.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname.replace(/\/+$/, '')}`,
    get refused() {
      return state.refused;
    },
    setDown(value) {
      down = value;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Produces one record with kcat (Debian's package): the file's bytes, whole, as the value. */
export async function produceWithKcat(
  brokers: string[],
  record: { topic: string; key: string; value: Buffer; partition?: number },
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'kcat-'));
  const file = path.join(dir, 'value.bin');
  writeFileSync(file, record.value);
  try {
    const args = ['-P', '-b', brokers.join(','), '-t', record.topic, '-k', record.key];
    if (record.partition !== undefined) args.push('-p', String(record.partition));
    await promisify(execFile)('kcat', [...args, file], { timeout: 30_000 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kcat is not installed: `apt-get install kcat` (.ci/run does it)');
    }
    throw error;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// /metrics for Prometheus, /healthz (alive) and /readyz (in the consumer group, Postgres answering) on
// METRICS_PORT. /readyz says why in its body; Kubernetes only reads the status code.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export interface Readiness {
  ok: boolean;
  detail: string;
}

export async function startHealthServer(
  port: number,
  registry: Registry,
  ready: () => boolean | Readiness | Promise<boolean | Readiness>,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const route = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (route === '/metrics') {
      registry.metrics().then(
        (text) => reply(200, text, registry.contentType),
        (error: Error) => reply(500, `metrics failed: ${error.message}\n`),
      );
    } else if (route === '/healthz') {
      reply(200, 'ok\n');
    } else if (route === '/readyz') {
      Promise.resolve()
        .then(ready)
        .then(
          (answer) => {
            const { ok, detail } = typeof answer === 'boolean' ? { ok: answer, detail: '' } : answer;
            reply(ok ? 200 : 503, `${ok ? 'ready' : 'not ready'}${detail ? `: ${detail}` : ''}\n`);
          },
          (error: Error) => reply(503, `not ready: ${error.message}\n`),
        );
    } else {
      reply(404, 'not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections (a scraper's) would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

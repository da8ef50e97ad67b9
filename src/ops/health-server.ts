// /metrics for Prometheus, /healthz (alive) and /readyz (connected and consuming) on METRICS_PORT.
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(
  port: number,
  registry: Registry,
  ready: () => boolean | Promise<boolean>,
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
      Promise.resolve(ready()).then(
        (ok) => reply(ok ? 200 : 503, ok ? 'ready\n' : 'not ready\n'),
        () => reply(503, 'not ready\n'),
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
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

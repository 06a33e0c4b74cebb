import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answered while starting: liveness and metrics say the process is up; everything else waits. */
const ALWAYS_OPEN = new Set(['/healthz', '/metrics']);
const BODY = JSON.stringify({ error: 'server is starting: restoring the graphs deployed before the restart', code: 'starting' });

/**
 * Holds every request of a server that is bound but still restoring its graphs:
 * HTTP (the data plane, the API, socket.io polling) gets 503 `starting` with
 * Retry-After, a websocket upgrade the same as a raw response. The server binds
 * first so a busy port fails the start before any replica runs, and a client
 * still never sees a 404 for a graph that is coming back. `ready()` puts the
 * real listeners back, so nothing of this stays on the request path.
 */
export function holdWhileStarting(http: HttpServer): { ready(): void } {
  // socket.io (engine.io) installed its own 'request' and 'upgrade' listeners in front of ours: take them all.
  const requests = http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  const upgrades = http.listeners('upgrade') as ((req: IncomingMessage, socket: Duplex, head: Buffer) => void)[];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && ALWAYS_OPEN.has(path)) {
      for (const l of requests) l.call(http, req, res);
      return;
    }
    // The body is not read: close the connection so it cannot be taken for the next request.
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1', connection: 'close', 'content-length': Buffer.byteLength(BODY) });
    res.end(BODY);
  };
  const onUpgrade = (_req: IncomingMessage, socket: Duplex) => {
    socket.end(`HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`);
  };
  http.removeAllListeners('request');
  http.removeAllListeners('upgrade');
  http.on('request', onRequest);
  http.on('upgrade', onUpgrade);
  let done = false;
  return {
    ready() {
      if (done) return;
      done = true;
      http.off('request', onRequest);
      http.off('upgrade', onUpgrade);
      for (const l of requests) http.on('request', l);
      for (const l of upgrades) http.on('upgrade', l);
    },
  };
}

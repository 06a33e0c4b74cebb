import { Hono } from 'hono';

/** A beam through three nodes, in the editor's accent colour. */
const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0f172a"/><path d="M6 22 L16 10 L26 22" fill="none" stroke="#38bdf8" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/><circle cx="6" cy="22" r="3.5" fill="#38bdf8"/><circle cx="16" cy="10" r="3.5" fill="#f8fafc"/><circle cx="26" cy="22" r="3.5" fill="#38bdf8"/></svg>`;

/** GET /favicon.ico and /favicon.svg: browsers ask for it on every page, and a 404 is a console error. */
export function faviconRoutes(): Hono {
  const app = new Hono();
  const send = () => new Response(ICON, { headers: { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400' } });
  app.get('/favicon.ico', send);
  app.get('/favicon.svg', send);
  return app;
}

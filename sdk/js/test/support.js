// Shared test support: the servers scripts/test-sdks.sh started, tokens, clients, and
// small local HTTP servers (a proxy that fails on purpose, a webhook receiver).

import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Context0Client } from '../src/index.js';

export const BASE_URL = process.env.CONTEXT0_TEST_BASE_URL ?? 'http://127.0.0.1:8000/api/v1';
export const LIMITED_BASE_URL = process.env.CONTEXT0_TEST_LIMITED_BASE_URL;
const JWT_SECRET = process.env.CONTEXT0_TEST_JWT_SECRET ?? '';

const b64url = (data) => Buffer.from(data).toString('base64url');

/** An HS256 JWT as the server expects: `sub`, optional `org_id` and `scopes`, `exp`. */
export function makeToken(user, { scopes, org, ttl = 3600 } = {}) {
  const claims = { sub: user, exp: Math.floor(Date.now() / 1000) + ttl };
  if (scopes) claims.scopes = scopes;
  if (org) claims.org_id = org;
  const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${createHmac('sha256', JWT_SECRET).update(input).digest('base64url')}`;
}

export const newUser = () => `sdk-js-${randomUUID().slice(0, 12)}`;

/** A client for a new user of its own (or `user`), against the main test server. */
export function newClient({ user = newUser(), scopes, ...options } = {}) {
  return new Context0Client({ apiKey: makeToken(user, { scopes }), baseUrl: BASE_URL, ...options });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Rate limits count in clock-hour windows: a test that spends a small budget and expects the
 * next request refused waits, when the next hour is under two minutes away, until it has begun.
 */
export async function awaitWholeRateWindow() {
  const untilNextHour = 3_600_000 - (Date.now() % 3_600_000);
  if (untilNextHour < 120_000) await sleep(untilNextHour + 1000);
}

/** Polls until `condition()` resolves to something truthy and returns it. */
export async function waitFor(condition, { timeout = 30_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await sleep(interval);
  }
}

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

async function readBody(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * Answers the first requests as `plan` says, then forwards to the real API: '500'/'503':
 * that status; '429': 429 with `Retry-After: 1`; 'drop': closes the connection without an
 * answer; 'slow': waits 2 s, then forwards.
 */
export async function startFlakyProxy(plan, upstream = BASE_URL) {
  const proxy = { plan: [...plan], seen: [] };
  const target = new URL(upstream);
  const server = createServer(async (request, response) => {
    const body = await readBody(request);
    proxy.seen.push(`${request.method} ${request.url}`);
    const action = proxy.plan.shift() ?? 'forward';
    if (action === 'drop') return request.socket.destroy();
    if (['500', '503', '429'].includes(action)) {
      const headers = { 'content-type': 'application/json', ...(action === '429' ? { 'retry-after': '1' } : {}) };
      response.writeHead(Number(action), headers);
      return response.end(JSON.stringify({ success: false, message: 'injected', error: { code: 'INTERNAL_ERROR', details: 'injected' } }));
    }
    if (action === 'slow') await sleep(2000);
    const headers = { ...request.headers };
    delete headers.host;
    delete headers['accept-encoding'];
    delete headers.connection;
    const answer = await fetch(`${target.origin}${request.url}`, { method: request.method, headers, body: body.length ? body : undefined });
    const payload = Buffer.from(await answer.arrayBuffer());
    const out = {};
    answer.headers.forEach((value, key) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(key)) out[key] = value;
    });
    response.writeHead(answer.status, out);
    response.end(payload);
  });
  const url = await listen(server);
  proxy.baseUrl = url + target.pathname;
  proxy.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return proxy;
}

/** Collects every POST as `{headers, body}` (body: the raw Buffer), answering 204. */
export async function startWebhookReceiver() {
  const receiver = { received: [] };
  const server = createServer(async (request, response) => {
    receiver.received.push({ headers: request.headers, body: await readBody(request) });
    response.writeHead(204).end();
  });
  receiver.url = await listen(server);
  receiver.find = (type) => receiver.received.filter(({ body }) => JSON.parse(body.toString()).type === type);
  receiver.close = () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); });
  return receiver;
}

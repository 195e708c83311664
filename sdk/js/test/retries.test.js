// Retries, backoff, time-outs and rate limits, through a local proxy that fails on purpose
// before forwarding to the real API, and a second API process with tiny limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { APIConnectionError, APITimeoutError, Context0Client, RateLimitError, ServerError } from '../src/index.js';
import { retryAfter } from '../src/http.js';
import { BASE_URL, LIMITED_BASE_URL, awaitWholeRateWindow, makeToken, newUser, startFlakyProxy } from './support.js';

const FAST = { backoff: 50, maxBackoff: 200 };
/** A client for a new user that talks to the API through a proxy following `plan`. */
async function through(t, plan, options = {}) {
  const proxy = await startFlakyProxy(plan);
  t.after(() => proxy.close());
  const user = newUser();
  const client = new Context0Client({ apiKey: makeToken(user), baseUrl: proxy.baseUrl, ...FAST, ...options });
  return { proxy, client, user };
}

test('a GET is retried after server errors', async (t) => {
  const { proxy, client } = await through(t, ['500', '503']);
  assert.equal((await client.memories.list()).total, 0);
  assert.equal(proxy.seen.length, 3);
});

test('a creating POST is not repeated after a server error', async (t) => {
  const { proxy, client } = await through(t, ['500']);
  await assert.rejects(client.memories.create({ text: 'once' }), (e) => e instanceof ServerError && e.status === 500 && e.code === 'INTERNAL_ERROR');
  assert.equal(proxy.seen.length, 1);
});

test('retryNonIdempotent repeats a creating POST', async (t) => {
  const { proxy, client } = await through(t, ['503'], { retryNonIdempotent: true });
  assert.equal((await client.memories.create({ text: 'eventually' })).text, 'eventually');
  assert.equal(proxy.seen.length, 2);
});

test('idempotent POSTs are retried', async (t) => {
  const { proxy, client } = await through(t, ['503', '500']);
  assert.deepEqual((await client.memories.search({ query: 'anything' })).results, []);
  assert.equal((await client.context.add({ documents: ['retried add'] })).count, 1);
  assert.equal(proxy.seen.length, 4);
});

test('retries stop after maxRetries', async (t) => {
  const { proxy, client } = await through(t, ['503', '503', '503', '503', '503'], { maxRetries: 2 });
  await assert.rejects(client.memories.list(), ServerError);
  assert.equal(proxy.seen.length, 3);
});

test('a dropped connection is retried only when safe', async (t) => {
  const { proxy, client } = await through(t, ['drop']);
  assert.deepEqual((await client.memories.list()).items, []);
  assert.equal(proxy.seen.length, 2);
  proxy.plan = ['drop'];
  await assert.rejects(client.memories.create({ text: 'maybe sent' }), (e) => e instanceof APIConnectionError && !(e instanceof APITimeoutError));
  assert.equal(proxy.seen.length, 3);
});

test('a timeout repeats a GET but not a create (which the server still carried out)', async (t) => {
  const { proxy, client, user } = await through(t, ['slow'], { timeout: 500 });
  assert.equal((await client.memories.list()).total, 0);
  proxy.plan = ['slow'];
  await assert.rejects(client.memories.create({ text: 'slow create' }), APITimeoutError);
  assert.equal(proxy.seen.length, 3);
  const direct = new Context0Client({ apiKey: makeToken(user), baseUrl: BASE_URL });
  const deadline = Date.now() + 10_000;
  while ((await direct.memories.list()).total === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal((await direct.memories.list()).total, 1);
});

test('a refused connection is retried, then thrown', async () => {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  let attempts = 0;
  const counting = (...args) => { attempts++; return fetch(...args); };
  const client = new Context0Client({ apiKey: 't', baseUrl: `http://127.0.0.1:${port}/api/v1`, maxRetries: 2, fetch: counting, ...FAST });
  await assert.rejects(client.memories.create({ text: 'never sent' }), (e) => e instanceof APIConnectionError && !(e instanceof APITimeoutError));
  assert.equal(attempts, 3);
});

test('a 429 waits for Retry-After', async (t) => {
  const { proxy, client } = await through(t, ['429']);
  const started = Date.now();
  assert.equal((await client.memories.create({ text: 'after a 429' })).text, 'after a 429');
  assert.ok(Date.now() - started >= 1000);
  assert.equal(proxy.seen.length, 2);
});

test('a 429 without retries is a RateLimitError', async (t) => {
  const { client } = await through(t, ['429'], { maxRetries: 0 });
  await assert.rejects(client.memories.list(), (e) => e instanceof RateLimitError && e.retryAfter === 1 && e.status === 429);
});

test('Retry-After is read as seconds or a date, else from X-RateLimit-Reset for a 429', () => {
  const now = Date.now() / 1000;
  assert.equal(retryAfter(new Headers({ 'retry-after': '3' }), 429), 3);
  const inTen = retryAfter(new Headers({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() }), 503);
  assert.ok(inTen >= 8 && inTen <= 10);
  const reset = retryAfter(new Headers({ 'x-ratelimit-reset': String(Math.floor(now) + 5) }), 429);
  assert.ok(reset >= 3 && reset <= 5);
  assert.equal(retryAfter(new Headers({ 'retry-after': 'soon' }), 429), null);
  assert.equal(retryAfter(new Headers({ 'x-ratelimit-reset': String(Math.floor(now) + 5) }), 503), null);
});

test('backoff grows with jitter', () => {
  const client = new Context0Client({ backoff: 500, maxBackoff: 4000 });
  for (const [attempt, step] of [[0, 500], [1, 1000], [2, 2000], [3, 4000], [6, 4000]]) {
    const delays = new Set(Array.from({ length: 20 }, () => client.transport.backoffDelay(attempt)));
    assert.ok([...delays].every((d) => d >= step / 2 && d <= step) && delays.size > 1);
  }
});

test('rate-limit state and the real 429', { skip: !LIMITED_BASE_URL && 'CONTEXT0_TEST_LIMITED_BASE_URL not set' }, async () => {
  await awaitWholeRateWindow();
  const client = new Context0Client({ apiKey: makeToken(newUser()), baseUrl: LIMITED_BASE_URL, ...FAST });
  assert.equal(client.rateLimit, null);
  const remaining = [];
  for (let i = 0; i < 3; i++) {
    await client.memories.list({ limit: 0 });
    remaining.push(client.rateLimit.remaining);
  }
  assert.deepEqual(remaining, [2, 1, 0]);
  assert.equal(client.rateLimit.limit, 3);
  assert.ok(client.rateLimit.reset > Date.now() / 1000);
  const started = Date.now();
  await assert.rejects(client.memories.list(), (e) =>
    e instanceof RateLimitError && e.status === 429 && e.code === 'RATE_LIMIT_EXCEEDED' && e.retryAfter > 0 && e.retryAfter <= 3600 && e.headers['x-ratelimit-remaining'] === '0');
  assert.ok(Date.now() - started < 1000, 'an hour-long Retry-After is thrown at once, not waited for');
  await assert.rejects(client.context.view(), (e) => e instanceof RateLimitError && e.code === 'RATE_LIMIT_EXCEEDED' && e.message.length > 0);
  assert.deepEqual((await client.memories.search({ query: 'still allowed' })).results, []);
});

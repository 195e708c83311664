// Analytics and billing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PermissionDeniedError, ValidationError } from '../src/index.js';
import { newClient } from './support.js';

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

test('analytics', async () => {
  const client = newClient();
  await client.memories.create({ text: 'Counted in analytics', category: 'work' });
  const usage = await client.analytics.usage();
  assert.ok(usage.requests.total >= 1);
  assert.equal(usage.totals.memories, 1);
  const memories = await client.analytics.memories({ start_date: day(-6), end_date: day(0) });
  assert.equal(memories.total, 1);
  assert.equal(memories.by_category.work, 1);
  assert.equal(memories.growth.length, 7);
  const trends = await client.analytics.trends({ bucket: 'day', start_date: day(-2), end_date: day(0), metrics: ['requests', 'memories_created'] });
  assert.equal(trends.bucket, 'day');
  assert.equal(trends.series.length, 3);
  assert.equal(trends.series.reduce((sum, point) => sum + point.memories_created, 0), 1);
  await assert.rejects(client.analytics.trends({ bucket: 'fortnight' }), ValidationError);
});

test('billing', async () => {
  const client = newClient();
  const limits = await client.billing.limits();
  assert.equal(limits.plan, 'free');
  assert.ok(limits.rate_limits.standard.limit > 0);
  const usage = await client.billing.usage();
  assert.equal(usage.plan, 'free');
  assert.ok(usage.metrics && usage.requests.standard >= 1);
  const history = await client.billing.history({ limit: 10 });
  assert.deepEqual([history.items, history.total], [[], 0]);
  const all = [];
  for await (const period of client.billing.iterateHistory()) all.push(period);
  assert.deepEqual(all, []);
});

test('analytics and billing need their scopes', async () => {
  const limited = newClient({ scopes: ['memories:read'] });
  await assert.rejects(limited.billing.usage(), PermissionDeniedError);
  await assert.rejects(limited.analytics.usage(), PermissionDeniedError);
});

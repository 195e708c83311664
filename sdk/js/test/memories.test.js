// The Memory API: the spec's example, CRUD with history, list filters, iterating through
// everything, search, batch, and typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, ValidationError } from '../src/index.js';
import { newClient } from './support.js';

test("the spec's example", async () => {
  const client = newClient();
  const memory = await client.memories.create({ text: 'Important meeting today' });
  assert.equal(memory.text, 'Important meeting today');
  assert.equal(memory.enrichment, 'pending');
  assert.ok(memory.job_id);
  assert.ok(client.rateLimit.limit > 0 && client.rateLimit.resetAt instanceof Date);
});

test('create, get, update, delete keeps the history', async () => {
  const client = newClient();
  const created = await client.memories.create({ text: 'I live in Lisbon', category: 'personal', emotion: 'happy', tags: ['home'], metadata: { k: 1 }, source: 'manual' });
  assert.deepEqual([created.category, created.emotion, created.tags], ['personal', 'happy', ['home']]);
  const updated = await client.memories.update(created.id, { text: 'I live in Porto', reason: 'moved' });
  assert.ok(updated.version > created.version);
  const shown = await client.memories.get(created.id);
  assert.equal(shown.text, 'I live in Porto');
  const updates = shown.history.filter((entry) => entry.change === 'updated');
  assert.deepEqual(updates.map((entry) => [entry.text, entry.reason]), [['I live in Lisbon', 'moved']]);
  assert.deepEqual(await client.memories.delete(created.id), { id: created.id, deleted: true });
  await assert.rejects(client.memories.get(created.id), (error) => error instanceof NotFoundError && error.code === 'RESOURCE_NOT_FOUND');
});

test('the enrichment job completes and search finds the memory', async () => {
  const client = newClient();
  const memory = await client.memories.create({ text: 'I am allergic to peanuts' });
  const job = await client.jobs.wait(memory.job_id);
  assert.equal(job.state, 'completed');
  assert.equal((await client.memories.get(memory.id)).enrichment, 'done');
  const found = await client.memories.search({ query: 'peanut allergy', limit: 5, threshold: 0.2 });
  assert.equal(found.results[0].id, memory.id);
  assert.ok('similarity' in found.results[0] && 'score' in found.results[0]);
  assert.deepEqual((await client.memories.search({ query: 'peanut allergy', category: 'finance', threshold: 0.2 })).results, []);
});

test('list filters, sorting and pagination', async () => {
  const client = newClient();
  await client.memories.create({ text: 'Quarterly report due', category: 'work', emotion: 'anxious', tags: ['q3', 'report'] });
  await client.memories.create({ text: 'Dinner with Ana', category: 'relationships', emotion: 'happy', tags: ['q3'] });
  await client.memories.create({ text: 'Gym at six', category: 'health', emotion: 'neutral' });
  const page = await client.memories.list({ limit: 2, skip: 0, sort_by: 'created_at', order: 'asc' });
  assert.equal(page.total, 3);
  assert.deepEqual(page.items.map((m) => m.text), ['Quarterly report due', 'Dinner with Ana']);
  assert.deepEqual((await client.memories.list({ category: 'work' })).items.map((m) => m.text), ['Quarterly report due']);
  assert.equal((await client.memories.list({ emotion: 'happy' })).total, 1);
  assert.equal((await client.memories.list({ tags: ['q3', 'report'] })).total, 1);
  assert.equal((await client.memories.list({ tags: 'q3' })).total, 2);
  assert.equal((await client.memories.list({ source: 'manual' })).total, 3);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await client.memories.list({ start_date: today, end_date: today })).total, 3);
  assert.equal((await client.memories.list({ start_date: new Date(Date.now() + 3_600_000) })).total, 0);
  assert.equal((await client.memories.list({ end_date: new Date(Date.now() - 86_400_000 * 2) })).total, 0);
  const beyond = await client.memories.list({ skip: 10 });
  assert.deepEqual([beyond.items, beyond.total], [[], 3]);
});

test('iterate pages through everything', async () => {
  const client = newClient();
  await client.memories.batch(Array.from({ length: 23 }, (_, i) => ({ op: 'create', text: `Fact number ${i}`, category: 'learning' })));
  await client.memories.create({ text: 'Something else', category: 'other' });
  const texts = [];
  for await (const memory of client.memories.iterate({ pageSize: 5, category: 'learning', sort_by: 'created_at', order: 'asc' })) texts.push(memory.text);
  assert.equal(new Set(texts).size, 23);
  let all = 0;
  for await (const _ of client.memories.iterate()) all++;
  assert.equal(all, 24);
});

test('batch runs each operation on its own', async () => {
  const client = newClient();
  const keep = await client.memories.create({ text: 'Keep me' });
  const drop = await client.memories.create({ text: 'Drop me' });
  const result = await client.memories.batch([
    { op: 'create', text: 'Made in a batch', tags: ['batch'] },
    { op: 'update', id: keep.id, text: 'Kept and changed' },
    { op: 'delete', id: drop.id },
    { op: 'create', text: '' },
    { op: 'explode' },
  ]);
  assert.deepEqual([result.succeeded, result.failed], [3, 2]);
  assert.deepEqual(result.results.map((r) => r.success), [true, true, true, false, false]);
  assert.equal(result.results[3].error.code, 'VALIDATION_ERROR');
  assert.equal((await client.memories.get(keep.id)).text, 'Kept and changed');
});

test('validation errors name the field', async () => {
  const client = newClient();
  await assert.rejects(client.memories.create({ text: '  ' }), (e) => e instanceof ValidationError && e.status === 422 && e.field === 'text');
  await assert.rejects(client.memories.list({ order: 'sideways' }), (e) => e.field === 'order');
  await assert.rejects(client.memories.get('not-a-uuid'), (e) => e instanceof ValidationError && e.field === 'id');
  await assert.rejects(client.memories.delete('00000000-0000-0000-0000-000000000000'), NotFoundError);
});

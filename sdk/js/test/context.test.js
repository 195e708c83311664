// The Context API: add, wait until indexed, search, view, view docs, delete, and its own
// error shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, Context0Client, PermissionDeniedError, ValidationError } from '../src/index.js';
import { BASE_URL, newClient, newUser } from './support.js';

test('add, wait until indexed, search, view and delete by source', async () => {
  const client = newClient();
  const added = await client.context.add({
    documents: ['Our office is in Lisbon, near the river.', { content: 'The team meets every Tuesday.', fileName: 'notes.txt' }],
    source: 'handbook',
    metadata: { team: 'core' },
  });
  assert.equal(added.count, 2);
  assert.ok(added.documents.every((doc) => doc.state === 'chunked' && doc.job_id));

  const documents = await client.context.waitUntilIndexed(added, { timeout: 60_000 });
  assert.deepEqual(new Set(documents.map((doc) => doc.id)), new Set(added.documents.map((doc) => doc.id)));
  assert.ok(documents.every((doc) => doc.indexed && doc.state === 'indexed'));

  const found = await client.context.search({ query: 'where is the office?', similarity_threshold: 1, minimum_similarity_threshold: 0.1 });
  assert.match(found.results[0].contextData, /Lisbon/);
  for (const key of ['contextId', 'documentId', 'similarity', 'score']) assert.ok(key in found.results[0]);
  assert.deepEqual((await client.context.search({ query: 'office', metadata: { team: 'other' } })).results, []);

  const view = await client.context.view({ source: 'handbook', limit: 10 });
  assert.ok(view.total >= 2 && view.context.every((node) => node.source === 'handbook'));
  const docs = await client.context.viewDocs({ limit: 1, offset: 1 });
  assert.equal(docs.total, 2);
  assert.equal(docs.documents.length, 1);

  assert.deepEqual(await client.context.delete({ source: 'handbook' }), {});
  assert.equal((await client.context.viewDocs()).total, 0);
});

test('delete by id removes one document; re-adding is a duplicate', async () => {
  const client = newClient();
  const added = await client.context.add({ documents: ['First document.', 'Second document.'], source: 'two' });
  await client.context.delete({ source: added.documents[0].id, by_doc: false, by_id: true });
  assert.deepEqual((await client.context.viewDocs()).documents.map((doc) => doc.id), [added.documents[1].id]);
  const again = await client.context.add({ documents: ['Second document.'], source: 'two' });
  assert.equal(again.documents[0].duplicate, true);
  assert.equal(again.documents[0].id, added.documents[1].id);
  await client.context.waitUntilIndexed([again.documents[0].id]);
});

test('context errors carry the Context API code', async () => {
  const user = newUser();
  const client = newClient({ user });
  await assert.rejects(
    client.context.search({ query: 'x', similarity_threshold: 0.1, minimum_similarity_threshold: 0.9 }),
    (error) => error instanceof ValidationError && error.status === 400 && error.code === 'VALIDATION_ERROR' && error.message.length > 0,
  );
  await assert.rejects(client.context.add({ documents: [] }), ValidationError);
  await assert.rejects(
    newClient({ user, scopes: ['context:read'] }).context.add({ documents: ['text'] }),
    (error) => error instanceof PermissionDeniedError && error.status === 403 && error.code === 'INSUFFICIENT_PERMISSIONS',
  );
  await assert.rejects(client.context.add({ documents: ['text'], user_id: 'somebody-else' }), PermissionDeniedError);
  await assert.rejects(
    new Context0Client({ apiKey: 'not-a-token', baseUrl: BASE_URL }).context.view(),
    (error) => error instanceof AuthenticationError && error.status === 401 && error.code === 'INVALID_TOKEN',
  );
});

// Chat sessions and messages, memory extraction, Q&A and jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobFailedError, NotFoundError, PermissionDeniedError, ValidationError, WaitTimeoutError } from '../src/index.js';
import { newClient, newUser } from './support.js';

const collect = async (iterable) => {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
};

test('a chat session, its messages and extraction', async () => {
  const client = newClient();
  const session = await client.chat.createSession({ title: 'Getting to know you', metadata: { channel: 'test' } });
  assert.equal(session.auto_extract, true);
  const sent = await client.chat.sendMessage(session.id, { content: 'I live in Berlin. I work as a nurse.' });
  assert.equal(sent.user_message.content, 'I live in Berlin. I work as a nurse.');
  assert.equal(sent.assistant_message.role, 'assistant');
  assert.equal(sent.mode, 'offline');
  await client.jobs.wait(sent.extraction_job_id);
  const extracted = await client.memories.list({ source: 'chat' });
  assert.ok(extracted.items.some((m) => m.text === 'I live in Berlin.'));
  const queued = await client.chat.extractMemories(session.id);
  assert.equal(queued.session_id, session.id);
  assert.equal((await client.jobs.wait(queued.job_id)).state, 'completed');
  const messages = await client.chat.listMessages(session.id, { limit: 1 });
  assert.deepEqual([messages.total, messages.items.length], [2, 1]);
  assert.deepEqual((await collect(client.chat.iterateMessages(session.id, { pageSize: 1 }))).map((m) => m.role), ['user', 'assistant']);
});

test('sessions list and iterate', async () => {
  const client = newClient();
  const made = [];
  for (let i = 0; i < 3; i++) made.push((await client.chat.createSession({ title: `s${i}`, auto_extract: false })).id);
  const page = await client.chat.listSessions({ limit: 2 });
  assert.deepEqual([page.total, page.items.length], [3, 2]);
  assert.deepEqual(new Set((await collect(client.chat.iterateSessions({ pageSize: 2 }))).map((s) => s.id)), new Set(made));
});

test('chat errors', async () => {
  const client = newClient();
  await assert.rejects(client.chat.sendMessage('00000000-0000-0000-0000-000000000000', { content: 'hello' }), NotFoundError);
  const session = await client.chat.createSession();
  await assert.rejects(client.chat.sendMessage(session.id, { content: ' ' }), (e) => e instanceof ValidationError && e.field === 'content');
});

test('Q&A asks and keeps a history', async () => {
  const client = newClient();
  const memory = await client.memories.create({ text: 'My dentist appointment is on Friday at 10am.' });
  await client.jobs.wait(memory.job_id);
  const answer = await client.qa.ask({ question: 'When is my dentist appointment?', limit: 3 });
  assert.equal(answer.mode, 'offline');
  assert.match(answer.answer, /Friday/);
  assert.equal(answer.citations[0].type, 'memory');
  assert.equal(answer.citations[0].used, true);
  await client.qa.ask({ question: 'What colour is the sky?' });
  const history = await client.qa.history({ limit: 1 });
  assert.deepEqual([history.total, history.items.length], [2, 1]);
  assert.deepEqual((await collect(client.qa.iterateHistory({ pageSize: 1 }))).map((h) => h.question), ['What colour is the sky?', 'When is my dentist appointment?']);
  await assert.rejects(newClient({ scopes: ['memories:read'] }).qa.ask({ question: 'anything?' }), PermissionDeniedError);
});

test('jobs belong to their user; wait times out and reports failure', async () => {
  const user = newUser();
  const client = newClient({ user });
  const { job_id: jobId } = await client.memories.create({ text: 'Mine only' });
  assert.ok((await client.jobs.get(jobId)).kind);
  await assert.rejects(newClient().jobs.get(jobId), NotFoundError);
  await assert.rejects(client.jobs.get('abc'), ValidationError);

  const running = { id: jobId, kind: 'memory.index', state: 'running', last_error: null };
  client.jobs.get = async () => running;
  await assert.rejects(client.jobs.wait(jobId, { timeout: 200, pollInterval: 50 }), (e) => e instanceof WaitTimeoutError && e.last === running);
  const failed = { ...running, state: 'failed', last_error: 'boom' };
  client.jobs.get = async () => failed;
  await assert.rejects(client.jobs.wait(jobId), (e) => e instanceof JobFailedError && e.job === failed);
  assert.equal(await client.jobs.wait(jobId, { raiseOnFailure: false }), failed);
});

test('ping needs no token', async () => {
  const { Context0Client } = await import('../src/index.js');
  const { BASE_URL } = await import('./support.js');
  assert.equal((await new Context0Client({ baseUrl: BASE_URL }).ping()).version, '1.0.0');
});

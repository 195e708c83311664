// Webhook signatures (Standard Webhooks, Web Crypto), and the Webhook API with deliveries
// to a local receiver whose signatures the SDK's verifier accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError, WebhookVerificationError, signWebhook, verifyWebhook } from '../src/index.js';
import { newClient, startWebhookReceiver, waitFor } from './support.js';

// Decided before any test is registered: a top-level await between registrations lets the
// runner finish the file's root test (and run its hooks) early.
const SECRET = 'whsec_' + randomBytes(24).toString('base64');
const nowSeconds = () => Math.floor(Date.now() / 1000);

async function signed(body, { secret = SECRET, at = nowSeconds(), id = 'evt_1' } = {}) {
  return { 'webhook-id': id, 'webhook-timestamp': String(at), 'webhook-signature': await signWebhook(secret, id, at, body) };
}

test('the Standard Webhooks reference signature', async () => {
  const body = '{"test": 2432232314}';
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  assert.equal(await signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, body), 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  const headers = new Headers({ 'Webhook-Id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'Webhook-Timestamp': '1614265330', 'Webhook-Signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' });
  assert.deepEqual(await verifyWebhook(new TextEncoder().encode(body), headers, secret, { now: 1614265340 }), { test: 2432232314 });
});

test('verify accepts a good delivery among several signatures', async () => {
  const body = '{"id": "evt_1", "type": "webhook.test", "data": {}}';
  const headers = await signed(body);
  headers['webhook-signature'] = `v1,bm90IGl0 v2,whatever v1,@@@ ${headers['webhook-signature']}`;
  assert.equal((await verifyWebhook(body, headers, SECRET)).type, 'webhook.test');
  assert.deepEqual(await verifyWebhook('{}', await signed('{}', { at: nowSeconds() - 3600 }), SECRET, { tolerance: 4000 }), {});
});

for (const tamper of ['secret', 'body', 'old', 'future', 'missing', 'version', 'timestamp']) {
  test(`verify refuses: ${tamper}`, async () => {
    let body = '{"id": "evt_1"}';
    let headers = await signed(body);
    let secret = SECRET;
    if (tamper === 'secret') secret = 'whsec_' + randomBytes(24).toString('base64');
    if (tamper === 'body') body = '{"id": "evt_2"}';
    if (tamper === 'old') headers = await signed(body, { at: nowSeconds() - 301 });
    if (tamper === 'future') headers = await signed(body, { at: nowSeconds() + 301 });
    if (tamper === 'missing') delete headers['webhook-signature'];
    if (tamper === 'version') headers['webhook-signature'] = headers['webhook-signature'].replace('v1,', 'v2,');
    if (tamper === 'timestamp') headers['webhook-timestamp'] = 'soon';
    await assert.rejects(verifyWebhook(body, headers, secret), WebhookVerificationError);
  });
}

test('webhooks end to end', async (t) => {
  const client = newClient();
  const receiver = await startWebhookReceiver();
  t.after(() => receiver.close());
  const hook = await client.webhooks.create({ url: `${receiver.url}/hook`, events: ['memory.created', 'webhook.test'], description: 'sdk test' });
  assert.ok(hook.secret.startsWith('whsec_'));
  assert.equal(hook.enabled, true);
  assert.deepEqual(hook.events, ['memory.created', 'webhook.test']);
  assert.ok(!('secret' in (await client.webhooks.get(hook.id))));
  assert.equal((await client.webhooks.list()).total, 1);
  const listed = [];
  for await (const webhook of client.webhooks.iterate({ pageSize: 1 })) listed.push(webhook.id);
  assert.deepEqual(listed, [hook.id]);

  const sent = await client.webhooks.test(hook.id);
  assert.ok(sent.event_id && sent.delivery_id && sent.job_id);
  const [delivery] = await waitFor(() => receiver.find('webhook.test').length && receiver.find('webhook.test'));
  const event = await client.webhooks.verify(delivery.body, delivery.headers, hook.secret);
  assert.equal(event.id, sent.event_id);
  assert.equal(delivery.headers['webhook-id'], sent.event_id);
  assert.equal(event.data.webhook_id, hook.id);
  const delivered = await waitFor(async () => (await client.webhooks.deliveries(hook.id, { status: 'delivered' })).items[0]);
  assert.equal(delivered.id, sent.delivery_id);
  assert.equal(delivered.response_status, 204);

  const memory = await client.memories.create({ text: 'Webhooks tell me about this' });
  const [created] = await waitFor(() => receiver.find('memory.created').length && receiver.find('memory.created'));
  assert.equal((await verifyWebhook(created.body, created.headers, hook.secret)).data.memory_id, memory.id);

  assert.equal((await client.webhooks.enable(hook.id)).enabled, true);
  assert.deepEqual(await client.webhooks.delete(hook.id), { id: hook.id, deleted: true });
  await assert.rejects(client.webhooks.get(hook.id), NotFoundError);
});

test('webhook validation', async () => {
  const client = newClient();
  await assert.rejects(client.webhooks.create({ url: 'https://example.com/hook', events: ['no.such.event'] }),
    (e) => e instanceof ValidationError && e.status === 422 && e.field === 'events');
  await assert.rejects(client.webhooks.create({ url: 'ftp://example.com/hook', events: ['*'] }), (e) => e.field === 'url');
});

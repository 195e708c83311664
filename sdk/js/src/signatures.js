// Verifying webhook deliveries as the Standard Webhooks specification says, with Web
// Crypto (globalThis.crypto.subtle), so it runs in browsers, Node 20+, Deno and workers:
// `webhook-signature` holds space-separated `v1,<base64 HMAC-SHA256 of
// "{webhook-id}.{webhook-timestamp}.{body}">`, keyed with the base64-decoded part of the
// secret after `whsec_`.

import { WebhookVerificationError } from './errors.js';

/** Seconds a delivery's timestamp may be off from now, either way (replay protection). */
export const DEFAULT_TOLERANCE = 300;
const encoder = new TextEncoder();

function fromBase64(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function toBase64(bytes) {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function bodyBytes(body) {
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('the webhook body must be the raw string, Uint8Array or ArrayBuffer received');
}

function header(headers, name) {
  if (typeof headers?.get === 'function') return headers.get(name);
  const key = Object.keys(headers ?? {}).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? null : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/** Compares two byte arrays in time that depends only on their length. */
function timingSafeEqual(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

async function hmac(secret, webhookId, timestamp, body) {
  let key;
  try {
    key = fromBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret);
  } catch {
    throw new WebhookVerificationError('the webhook secret is not base64 after whsec_');
  }
  const cryptoKey = await globalThis.crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const prefix = encoder.encode(`${webhookId}.${timestamp}.`);
  const payload = bodyBytes(body);
  const signed = new Uint8Array(prefix.length + payload.length);
  signed.set(prefix);
  signed.set(payload, prefix.length);
  return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', cryptoKey, signed));
}

/** The `webhook-signature` value the server sends (for testing a receiver). */
export async function signWebhook(secret, webhookId, timestamp, body) {
  return 'v1,' + toBase64(await hmac(secret, webhookId, timestamp, body));
}

/**
 * Checks a delivery and resolves to its decoded event (`{id, type, timestamp, data}`);
 * rejects with WebhookVerificationError when a header is missing, the timestamp is more
 * than `tolerance` seconds from now, or no `v1` signature matches. Pass the raw body as
 * received, before any JSON parsing; `headers` may be a `Headers` or a plain object.
 */
export async function verifyWebhook(body, headers, secret, { tolerance = DEFAULT_TOLERANCE, now } = {}) {
  const webhookId = header(headers, 'webhook-id');
  const stamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  for (const [name, value] of [['webhook-id', webhookId], ['webhook-timestamp', stamp], ['webhook-signature', signatures]]) {
    if (!value) throw new WebhookVerificationError(`missing header ${name}`);
  }
  const timestamp = Number(stamp);
  if (!/^\d+$/.test(stamp) || !Number.isSafeInteger(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number');
  const current = now ?? Date.now() / 1000;
  if (Math.abs(current - timestamp) > tolerance) throw new WebhookVerificationError('webhook-timestamp is too far from now');
  const expected = await hmac(secret, webhookId, timestamp, body);
  for (const candidate of signatures.split(' ')) {
    const [version, signature] = candidate.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    let bytes;
    try {
      bytes = fromBase64(signature);
    } catch {
      continue;
    }
    if (timingSafeEqual(bytes, expected)) {
      return JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(bodyBytes(body)));
    }
  }
  throw new WebhookVerificationError('no matching signature');
}

// The one place requests are made: the bearer token, JSON in and out, retries with
// exponential backoff and jitter, typed errors and the rate-limit state.
//
// Retry policy (the same as the Python SDK's):
// - 429 is always retried (the server refused it, nothing happened), after `Retry-After`
//   (else until `X-RateLimit-Reset`); a wait longer than `maxRetryWait` (60 s) throws the
//   RateLimitError at once instead.
// - A connection that could not be opened is always retried: the request never left.
// - 500/502/503/504, time-outs and connections broken mid-request are retried only for
//   requests that are safe to repeat: GET, PUT, DELETE and the POSTs that are idempotent on
//   this server (context add/search/delete, memory search, extract-memories, webhook
//   enable). A POST that creates something may already have been carried out, so it is not
//   repeated unless the client was made with `retryNonIdempotent: true`.

import { APIConnectionError, APITimeoutError, RateLimitError, errorForStatus } from './errors.js';

export const DEFAULT_BASE_URL = 'http://localhost:8000/api/v1';
export const VERSION = '0.1.0';
const RETRY_STATUSES = new Set([500, 502, 503, 504]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
// Node's fetch (undici) names these causes when no connection was made at all.
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `/memories/{id}` with every part URL-escaped. */
export function path(...parts) {
  return '/' + parts.map((part) => encodeURIComponent(String(part))).join('/');
}

/** The entries that are not undefined or null (those mean "not given"). */
export function compact(values) {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined && value !== null));
}

function queryValue(value) {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

// In Node, CONTEXT0_API_KEY and CONTEXT0_BASE_URL stand in for options not given.
const environment = globalThis.process?.env ?? {};

export class Transport {
  constructor({
    apiKey = environment.CONTEXT0_API_KEY,
    baseUrl = environment.CONTEXT0_BASE_URL || DEFAULT_BASE_URL,
    timeout = 30_000,
    maxRetries = 3,
    backoff = 500,
    maxBackoff = 8_000,
    maxRetryWait = 60_000,
    retryNonIdempotent = false,
    headers = {},
    fetch = globalThis.fetch,
  } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    Object.assign(this, { timeout, maxRetries, backoff, maxBackoff, maxRetryWait, retryNonIdempotent });
    this.fetch = fetch;
    this.headers = { Accept: 'application/json', ...headers };
    if (typeof window === 'undefined') this.headers['User-Agent'] = `context0-js/${VERSION}`;
    if (apiKey) this.headers.Authorization = `Bearer ${apiKey}`;
    this.rateLimit = null;
  }

  /**
   * Sends a request with retries; resolves to the answer's data (the envelope's `data`, the
   * Context API's whole body, `{}` for 204) or rejects with a typed error.
   */
  async request({ method, path, query, body, idempotent, envelope = true }) {
    const safe = (idempotent ?? SAFE_METHODS.has(method)) || this.retryNonIdempotent;
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await this.send(method, path, query, body);
      } catch (error) {
        const failure = this.connectionError(method, path, error);
        const neverSent = NEVER_SENT.has(error?.cause?.code);
        if (attempt >= this.maxRetries || !(neverSent || safe)) throw failure;
        await sleep(this.backoffDelay(attempt));
        continue;
      }
      const result = await this.parse(response, envelope);
      const delay = attempt < this.maxRetries ? this.retryDelay(response, result, safe, attempt) : null;
      if (delay === null) {
        if (result instanceof Error) throw result;
        return result;
      }
      await sleep(delay);
    }
  }

  async send(method, path, query, body) {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, queryValue(value));
    }
    const headers = { ...this.headers };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return this.fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeout),
    });
  }

  /** Milliseconds to wait before trying again, or null to settle with this answer. */
  retryDelay(response, result, safe, attempt) {
    if (response.status === 429) {
      const wait = result.retryAfter;
      if (wait === null || wait === undefined) return this.backoffDelay(attempt);
      return wait * 1000 > this.maxRetryWait ? null : wait * 1000 + Math.random() * 100;
    }
    if (RETRY_STATUSES.has(response.status) && safe) {
      const wait = retryAfter(response.headers, response.status);
      return wait === null ? this.backoffDelay(attempt) : Math.min(wait * 1000, this.maxRetryWait);
    }
    return null;
  }

  /** Exponential backoff with jitter: half the step plus a random half. */
  backoffDelay(attempt) {
    const step = Math.min(this.maxBackoff, this.backoff * 2 ** attempt);
    return step / 2 + Math.random() * (step / 2);
  }

  connectionError(method, path, error) {
    const timedOut = error?.name === 'TimeoutError' || error?.name === 'AbortError';
    const Kind = timedOut ? APITimeoutError : APIConnectionError;
    const reason = error?.cause?.code ?? error?.cause?.message ?? error?.message;
    return new Kind(`${method} ${this.baseUrl}${path}: ${reason}`, { cause: error });
  }

  /** The data of a success, or the typed error of a failure (returned, not thrown). */
  async parse(response, envelope) {
    this.recordRateLimit(response.headers);
    const text = await response.text();
    let body = null;
    if (response.status !== 204 && text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    if (response.ok) {
      if (body === null) return {};
      if (envelope && body && typeof body === 'object' && 'success' in body && 'data' in body) return body.data;
      return body;
    }
    return apiError(response, body);
  }

  recordRateLimit(headers) {
    const limit = headers.get('x-ratelimit-limit');
    const remaining = headers.get('x-ratelimit-remaining');
    const reset = headers.get('x-ratelimit-reset');
    if (limit === null || remaining === null || reset === null) return;
    this.rateLimit = { limit: Number(limit), remaining: Number(remaining), reset: Number(reset), resetAt: new Date(Number(reset) * 1000) };
  }
}

/** `Retry-After` (seconds or an HTTP date), else for a 429 the time left until `X-RateLimit-Reset`. */
export function retryAfter(headers, status) {
  const value = headers.get('retry-after');
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, (date - Date.now()) / 1000);
  }
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (status === 429 && headers.get('x-ratelimit-reset') && Number.isFinite(reset)) return Math.max(0, reset - Date.now() / 1000);
  return null;
}

/**
 * Reads either error shape: the Context0 envelope's `{"message", "error": {"code", "details",
 * "field"}}` or the Context API's `{"response", "error": "CODE"}`.
 */
function apiError(response, body) {
  let message = response.statusText || `HTTP ${response.status}`;
  let code = null;
  let field = null;
  if (body && typeof body === 'object') {
    if (body.error && typeof body.error === 'object') {
      code = body.error.code ?? null;
      field = body.error.field ?? null;
      message = body.error.details || body.message || message;
    } else if (typeof body.error === 'string') {
      code = body.error;
      message = body.response || message;
    }
  } else if (typeof body === 'string' && body) {
    message = body.slice(0, 500);
  }
  const Kind = errorForStatus(response.status);
  const headers = Object.fromEntries(response.headers.entries());
  const options = { status: response.status, code, field, body, headers };
  if (Kind === RateLimitError) options.retryAfter = retryAfter(response.headers, response.status);
  return new Kind(message, options);
}

/** Every item of an `{items, total, limit, skip}` list, page after page. */
export async function* pages(fetchPage, skip = 0) {
  for (;;) {
    const page = await fetchPage(skip);
    yield* page.items;
    skip += page.items.length;
    if (page.items.length === 0 || skip >= page.total) return;
  }
}

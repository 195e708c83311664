// Context0Client: the configuration and one property per resource group.

import { Transport } from './http.js';
import { Context } from './resources/context.js';
import { Memories } from './resources/memories.js';
import { Chat } from './resources/chat.js';
import { QA } from './resources/qa.js';
import { Analytics } from './resources/analytics.js';
import { Billing } from './resources/billing.js';
import { Webhooks } from './resources/webhooks.js';
import { Jobs } from './resources/jobs.js';

export class Context0Client {
  /**
   * @param {object} [options] `apiKey` (an API key or a JWT, sent as `Authorization: Bearer`),
   *   `baseUrl` (default `http://localhost:8000/api/v1`), `timeout` (ms per attempt, 30000),
   *   `maxRetries` (3), `backoff` (first delay in ms, 500), `maxBackoff` (8000),
   *   `maxRetryWait` (a 429 asking to wait longer, in ms, is thrown at once; 60000),
   *   `retryNonIdempotent` (false), `headers`, `fetch` (a fetch implementation).
   */
  constructor(options = {}) {
    this.transport = new Transport(options);
    this.context = new Context(this.transport);
    this.memories = new Memories(this.transport);
    this.chat = new Chat(this.transport);
    this.qa = new QA(this.transport);
    this.analytics = new Analytics(this.transport);
    this.billing = new Billing(this.transport);
    this.webhooks = new Webhooks(this.transport);
    this.jobs = new Jobs(this.transport);
  }

  /** `{limit, remaining, reset, resetAt}` of the latest authenticated answer (null before one). */
  get rateLimit() {
    return this.transport.rateLimit;
  }

  get baseUrl() {
    return this.transport.baseUrl;
  }

  /** `{version, database}`; needs no token. */
  ping() {
    return this.transport.request({ method: 'GET', path: '/ping' });
  }
}

// The Webhook API: register, list, get, delete, re-enable and test webhooks, and read
// their delivery log. `verify` checks a delivery's signature (see ../signatures.js).

import { compact, pages, path } from '../http.js';
import { verifyWebhook } from '../signatures.js';

export class Webhooks {
  constructor(transport) {
    this.transport = transport;
  }

  /** The new webhook (201) with its `secret`, shown only here. */
  create({ url, events, description }) {
    return this.transport.request({ method: 'POST', path: '/webhooks', body: compact({ url, events, description }) });
  }

  list({ limit, skip } = {}) {
    return this.transport.request({ method: 'GET', path: '/webhooks', query: { limit, skip } });
  }

  iterate({ pageSize = 100 } = {}) {
    return pages((skip) => this.list({ limit: pageSize, skip }));
  }

  get(id) {
    return this.transport.request({ method: 'GET', path: path('webhooks', id) });
  }

  /** `{id, deleted: true}`; pending deliveries are cancelled. */
  delete(id) {
    return this.transport.request({ method: 'DELETE', path: path('webhooks', id) });
  }

  /** Turns a disabled webhook back on with its failure count reset. */
  enable(id) {
    return this.transport.request({ method: 'POST', path: path('webhooks', id, 'enable'), idempotent: true });
  }

  /** Sends a `webhook.test` event to this webhook only (202): `{event_id, delivery_id, job_id}`. */
  test(id) {
    return this.transport.request({ method: 'POST', path: path('webhooks', id, 'test') });
  }

  /** The delivery log, newest first; `status` filters it. */
  deliveries(id, { limit, skip, status } = {}) {
    return this.transport.request({ method: 'GET', path: path('webhooks', id, 'deliveries'), query: { limit, skip, status } });
  }

  /** See `verifyWebhook`. */
  verify(body, headers, secret, options) {
    return verifyWebhook(body, headers, secret, options);
  }
}

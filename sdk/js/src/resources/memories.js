// The Memory API: /memories create, get, update, delete, list (and iterate over all),
// search and batch.

import { compact, pages, path } from '../http.js';

export class Memories {
  constructor(transport) {
    this.transport = transport;
  }

  /** The new memory (201) with `enrichment: "pending"` and the `job_id` that enriches it. */
  create({ text, category, emotion, tags, metadata, source }) {
    return this.transport.request({ method: 'POST', path: '/memories', body: compact({ text, category, emotion, tags, metadata, source }) });
  }

  /** The memory with its `history`. */
  get(id) {
    return this.transport.request({ method: 'GET', path: path('memories', id) });
  }

  /** A new version; the replaced one stays in the history with `reason`. */
  update(id, { text, category, emotion, tags, metadata, reason } = {}) {
    return this.transport.request({ method: 'PUT', path: path('memories', id), body: compact({ text, category, emotion, tags, metadata, reason }) });
  }

  /** `{id, deleted: true}`. */
  delete(id) {
    return this.transport.request({ method: 'DELETE', path: path('memories', id) });
  }

  /**
   * One page: `{items, total, limit, skip}`. Filters: `category`, `emotion`, `source`, `tags`
   * (array or comma-separated, all must match), `start_date`/`end_date` (Date or string),
   * `sort_by`, `order`.
   */
  list(filters = {}) {
    return this.transport.request({ method: 'GET', path: '/memories', query: filters });
  }

  /** `for await (const memory of client.memories.iterate({ category: 'work' }))`. */
  iterate({ pageSize = 100, skip = 0, ...filters } = {}) {
    return pages((from) => this.list({ ...filters, limit: pageSize, skip: from }), skip);
  }

  /** `{results: [memory & {similarity, score}], query}`. */
  search({ query, limit, threshold, category, emotion, tags }) {
    const body = compact({ query, limit, threshold, category, emotion, tags });
    return this.transport.request({ method: 'POST', path: '/memories/search', body, idempotent: true });
  }

  /** Up to 100 `{op: 'create'|'update'|'delete', …}`, each on its own: `{results, succeeded, failed}`. */
  batch(operations) {
    return this.transport.request({ method: 'POST', path: '/memories/batch', body: { operations } });
  }
}

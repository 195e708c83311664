// The Context API: /context/add, /search, /delete, /view, /view/docs. Its answers are
// plain JSON bodies (no Context0 envelope) and its errors `{"response", "error"}`.

import { compact } from '../http.js';
import { Context0Error, WaitTimeoutError } from '../errors.js';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Context {
  constructor(transport) {
    this.transport = transport;
  }

  /**
   * Stores 1–100 documents (201); indexing follows in workers (see `waitUntilIndexed`).
   * `documents` are `{content, fileName?, fileType?, fileSize?, lastModified?}` or strings.
   * Re-adding an identical document is not stored twice, so this is safe to retry.
   */
  add({ documents, ...fields }) {
    const body = compact({ ...fields, documents: documents.map((doc) => (typeof doc === 'string' ? { content: doc } : doc)) });
    return this.transport.request({ method: 'POST', path: '/context/add', body, idempotent: true, envelope: false });
  }

  /**
   * `{results: [{contextId, contextData, documentId, source, similarity, score, metadata}]}`.
   * The thresholds default to 1 (highest kept) and 0 (lowest kept).
   */
  search({ query, similarity_threshold = 1, minimum_similarity_threshold = 0, ...fields }) {
    const body = compact({ query, similarity_threshold, minimum_similarity_threshold, ...fields });
    return this.transport.request({ method: 'POST', path: '/context/search', body, idempotent: true, envelope: false });
  }

  /** Deletes by source or file name (`by_doc`, the default) or by id (`by_id: true`); resolves to `{}` (204). */
  delete({ source, ...fields }) {
    return this.transport.request({ method: 'POST', path: '/context/delete', body: compact({ source, ...fields }), idempotent: true, envelope: false });
  }

  /** `{context: [node…], total, limit, offset}`. */
  view({ source, limit, offset } = {}) {
    return this.transport.request({ method: 'GET', path: '/context/view', query: { source, limit, offset }, envelope: false });
  }

  /** `{documents: [document…], total, limit, offset}`, each with `state` and `indexed`. */
  viewDocs({ limit, offset } = {}) {
    return this.transport.request({ method: 'GET', path: '/context/view/docs', query: { limit, offset }, envelope: false });
  }

  /**
   * Waits until the documents of an `add()` answer (or these document ids) are indexed, that
   * is found by `search`; resolves to their `viewDocs` records.
   */
  async waitUntilIndexed(added, { timeout = 60_000, pollInterval = 500 } = {}) {
    const wanted = new Set(Array.isArray(added) ? added : added.documents.map((doc) => doc.id));
    const deadline = Date.now() + timeout;
    for (;;) {
      const documents = await this.allDocuments();
      const found = documents.filter((doc) => wanted.has(doc.id));
      const failed = found.find((doc) => doc.state === 'failed');
      if (failed) throw new Context0Error(`document ${failed.id} failed to index`);
      if (found.length === wanted.size && found.every((doc) => doc.indexed)) return found;
      if (Date.now() >= deadline) throw new WaitTimeoutError(`documents not indexed after ${timeout} ms`, documents);
      await sleep(pollInterval);
    }
  }

  async allDocuments() {
    const documents = [];
    for (;;) {
      const page = await this.viewDocs({ limit: 500, offset: documents.length });
      documents.push(...page.documents);
      if (page.documents.length === 0 || documents.length >= page.total) return documents;
    }
  }
}

// Q&A over the user's memories and context: ask, and the history of answers.

import { compact, pages } from '../http.js';

export class QA {
  constructor(transport) {
    this.transport = transport;
  }

  /** `{id, question, answer, mode, citations: [{type, id, snippet, score, similarity, used}], created_at}`. */
  ask({ question, limit }) {
    return this.transport.request({ method: 'POST', path: '/qa/ask', body: compact({ question, limit }) });
  }

  history({ limit, skip } = {}) {
    return this.transport.request({ method: 'GET', path: '/qa/history', query: { limit, skip } });
  }

  iterateHistory({ pageSize = 100 } = {}) {
    return pages((skip) => this.history({ limit: pageSize, skip }));
  }
}

// The Chat API: sessions, their messages, replies with memory, memory extraction.

import { compact, pages, path } from '../http.js';

export class Chat {
  constructor(transport) {
    this.transport = transport;
  }

  /** A new session (201); with `auto_extract` (the default) messages queue extraction. */
  createSession({ title, auto_extract, metadata } = {}) {
    return this.transport.request({ method: 'POST', path: '/chat/sessions', body: compact({ title, auto_extract, metadata }) });
  }

  listSessions({ limit, skip } = {}) {
    return this.transport.request({ method: 'GET', path: '/chat/sessions', query: { limit, skip } });
  }

  iterateSessions({ pageSize = 100 } = {}) {
    return pages((skip) => this.listSessions({ limit: pageSize, skip }));
  }

  listMessages(sessionId, { limit, skip } = {}) {
    return this.transport.request({ method: 'GET', path: path('chat', 'sessions', sessionId, 'messages'), query: { limit, skip } });
  }

  iterateMessages(sessionId, { pageSize = 100 } = {}) {
    return pages((skip) => this.listMessages(sessionId, { limit: pageSize, skip }));
  }

  /** `{user_message, assistant_message, mode, memories_used, context_used, extraction_job_id}` (201). */
  sendMessage(sessionId, { content }) {
    return this.transport.request({ method: 'POST', path: path('chat', 'sessions', sessionId, 'messages'), body: { content } });
  }

  /** `{job_id, session_id}` (202); follow it with `jobs.wait(job_id)`. */
  extractMemories(sessionId) {
    return this.transport.request({ method: 'POST', path: path('chat', 'sessions', sessionId, 'extract-memories'), idempotent: true });
  }
}

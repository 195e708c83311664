// Background jobs: GET /jobs/{id} for every 202 answer, and waiting for one to end.

import { path } from '../http.js';
import { JobFailedError, WaitTimeoutError } from '../errors.js';

const FINAL_STATES = new Set(['completed', 'failed', 'cancelled']);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Jobs {
  constructor(transport) {
    this.transport = transport;
  }

  /** `{id, kind, queue, state, attempt, max_attempts, last_error, errors, created_at, run_at, attempted_at, finished_at}`. */
  get(id) {
    return this.transport.request({ method: 'GET', path: path('jobs', id) });
  }

  /**
   * Polls until the job is completed (resolves to it), failed or cancelled (rejects with
   * JobFailedError, or resolves with `raiseOnFailure: false`), or `timeout` ms pass
   * (rejects with WaitTimeoutError).
   */
  async wait(id, { timeout = 60_000, pollInterval = 500, raiseOnFailure = true } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const job = await this.get(id);
      if (FINAL_STATES.has(job.state)) {
        if (raiseOnFailure && job.state !== 'completed') throw new JobFailedError(job);
        return job;
      }
      if (Date.now() >= deadline) throw new WaitTimeoutError(`job ${id} still ${job.state} after ${timeout} ms`, job);
      await sleep(pollInterval);
    }
  }
}

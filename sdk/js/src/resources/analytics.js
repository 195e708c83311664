// The Analytics API: usage, memory analytics and trends over a date range (default the
// last 30 days; `YYYY-MM-DD`, an end date including its whole day, or ISO 8601 times).

export class Analytics {
  constructor(transport) {
    this.transport = transport;
  }

  /** `{range, requests, usage, totals}`. */
  usage({ start_date, end_date } = {}) {
    return this.transport.request({ method: 'GET', path: '/analytics/usage', query: { start_date, end_date } });
  }

  /** `{total, created_in_range, by_category, by_emotion, by_source, growth}`. */
  memories({ start_date, end_date } = {}) {
    return this.transport.request({ method: 'GET', path: '/analytics/memories', query: { start_date, end_date } });
  }

  /** `{bucket, range, series}`; `bucket` is `day` or `week`, `metrics` narrows the fields. */
  trends({ bucket, start_date, end_date, metrics } = {}) {
    return this.transport.request({ method: 'GET', path: '/analytics/trends', query: { bucket, start_date, end_date, metrics } });
  }
}

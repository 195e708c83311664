// The Billing API: the current period's usage, closed periods, the plan's limits (cents).

import { pages } from '../http.js';

export class Billing {
  constructor(transport) {
    this.transport = transport;
  }

  /** `{plan, period, metrics, requests, base_price_cents, estimated_total_cents}`. */
  usage() {
    return this.transport.request({ method: 'GET', path: '/billing/usage' });
  }

  /** Closed periods, newest first: `{items, total, limit, skip}`. */
  history({ limit, skip } = {}) {
    return this.transport.request({ method: 'GET', path: '/billing/history', query: { limit, skip } });
  }

  iterateHistory({ pageSize = 100 } = {}) {
    return pages((skip) => this.history({ limit: pageSize, skip }));
  }

  /** `{plan, monthly_price_cents, rate_limits, quotas, unit_prices_cents}`. */
  limits() {
    return this.transport.request({ method: 'GET', path: '/billing/limits' });
  }
}

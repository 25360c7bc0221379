import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/** Aggregate-only metrics: labels are routes, methods, statuses and outcomes, never meetings. */
export interface ApiMetrics {
  registry: Registry;
  requests: Histogram<'route' | 'method' | 'status'>;
  joins: JoinMetrics['joins'];
}

export interface JoinMetrics {
  joins: Counter<'result'>;
}

export function createMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'conclave_api_' });
  return {
    registry,
    requests: new Histogram({
      name: 'conclave_api_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    joins: new Counter({
      name: 'conclave_api_srp_joins_total',
      help: 'SRP join verifications by outcome',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Aggregate metrics only: no label names a group, a member or a connection, so /metrics
 * cannot tell who met or how large one meeting is.
 */
export class DsMetrics {
  readonly registry = new Registry();
  readonly connections = new Gauge({
    name: 'ds_connections',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });
  readonly groups = new Gauge({
    name: 'ds_groups',
    help: 'Groups with at least one member connected to this instance',
    registers: [this.registry],
  });
  readonly messagesIn = new Counter({
    name: 'ds_messages_received_total',
    help: 'Client messages received, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly messagesOut = new Counter({
    name: 'ds_messages_sent_total',
    help: 'Messages sent to clients',
    registers: [this.registry],
  });
  readonly commits = new Counter({
    name: 'ds_commits_total',
    help: 'Commits submitted, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly commitRequests = new Counter({
    name: 'ds_commit_requests_total',
    help: 'Commit requests delivered to a designated committer',
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'ds_errors_total',
    help: 'Typed errors returned to clients, by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly closes = new Counter({
    name: 'ds_closes_total',
    help: 'Connections closed by the DS, by close code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly feedResyncs = new Counter({
    name: 'ds_feed_resyncs_total',
    help: 'Catch-ups from the replay buffer after the feed subscription was interrupted, per group',
    registers: [this.registry],
  });
  readonly joinLatency = new Histogram({
    name: 'ds_join_seconds',
    help: 'Time from a KeyPackage received to its Welcome sent',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry, prefix: 'ds_' });
  }
}

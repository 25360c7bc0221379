export * from './node-registry.ts';
export * from './local-registry.ts';
export * from './redis-registry.ts';
export * from './heartbeat.ts';

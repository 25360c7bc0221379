export * from './tokens/join-token.ts';
export * from './bus/bus.ts';
export * from './bus/local-bus.ts';
export * from './bus/redis-bus.ts';
export * from './jobs/scheduler.ts';
export * from './jobs/local-scheduler.ts';
export * from './jobs/bullmq-scheduler.ts';

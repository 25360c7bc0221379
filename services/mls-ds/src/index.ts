export { createDsServer, startDs, storeLimits } from './server.ts';
export type { DsServer, DsServerOptions, RunningDs } from './server.ts';
export { DsConfigSchema, DsSettingsSchema, loadDsConfig, loadDsSettings } from './config.ts';
export type { DsConfig, DsSettings, DsStartConfig } from './config.ts';
export { DeliveryService, groupKeyOf } from './delivery-service.ts';
export type { GroupStateStore } from './state/group-state-store.ts';
export { MemoryGroupStateStore } from './state/memory-store.ts';
export { RedisGroupStateStore, groupKeys } from './state/redis-store.ts';

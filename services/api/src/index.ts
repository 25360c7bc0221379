export { type ApiApp, buildApi } from './app.ts';
export { type ApiConfig, ApiConfigSchema, loadApiConfig } from './config.ts';
export { type ApiDeps, createDeps } from './wiring.ts';

export * from './join-token.ts';
export * from './errors.ts';
export * from './api/index.ts';
export * from './sfu/index.ts';
export * from './ds/index.ts';

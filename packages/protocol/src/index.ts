export * from './join-token.ts';
export * from './errors.ts';

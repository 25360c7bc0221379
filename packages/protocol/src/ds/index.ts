export * from './messages.ts';
export * from './codes.ts';

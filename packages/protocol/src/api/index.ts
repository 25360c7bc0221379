export * from './meetings.ts';
export * from './join.ts';
export * from './errors.ts';

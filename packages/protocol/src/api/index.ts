export * from './meetings.ts';
export * from './join.ts';
export * from './errors.ts';
export * from './lobby.ts';

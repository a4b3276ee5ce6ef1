// Every op module, imported once so all ops are registered; builders re-exported for users.
export * from './constant.ts';
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './shape-ops.ts';

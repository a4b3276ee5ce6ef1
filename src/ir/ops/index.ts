// Every op module, imported once so all ops are registered; builders re-exported for users.
export * from './constant.ts';
export * from './elementwise.ts';
export * from './reduce.ts';
export * from './shape-ops.ts';
export * from './iota.ts';
export * from './one-hot.ts';
export * from './random.ts';
export * from './matmul.ts';
export * from './indexing.ts';
export * from './einsum.ts';
export * from './top-k.ts';
export * from './softmax.ts';
export * from './layer-norm.ts';
export * from './gelu.ts';
export * from './attention.ts';

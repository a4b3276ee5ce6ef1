// The library API: everything the CLI uses, for programs that drive albert-compiler directly.
export { compileModel, writeCompiled, buildModelGraph, type CompileOptions, type CompiledModel, type Manifest } from './compile.ts';
export { runCompiled, readManifest, type RunOptions, type RunReport } from './run-compiled.ts';
export { loadAlbertConfig, parseAlbertConfig, presetConfig, PRESET_NAMES, type AlbertConfig } from './model/config.ts';
export { modelParams, encoderParams, headParams, countParams, HEAD_NAMES, type HeadName, type ParamSpec } from './model/params.ts';
export { buildAlbertGraph, type AlbertGraphOptions } from './model/albert.ts';
export { Graph, Value, Node, type TensorType } from './ir/graph.ts';
export { UserError, ShapeError } from './ir/errors.ts';
export * as ops from './ir/ops/index.ts';
export * as composites from './ir/composites.ts';
export { interpret } from './ir/interpreter.ts';
export { printGraph } from './ir/printer.ts';
export { verifyGraph } from './ir/verifier.ts';
export { differentiate, autodiffPass } from './passes/autodiff.ts';
export { lowerEinsumPass } from './passes/lower-einsum.ts';
export { runPipeline, cleanupPasses } from './passes/pipeline.ts';
export { emitModel, encodeModel } from './backends/onnx/emit.ts';
export { createSession, runReference } from './backends/onnx/session.ts';
export { analyzeGraph } from './inspect/index.ts';

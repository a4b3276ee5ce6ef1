/**
 * Compile-time benchmark: builds, differentiates, lowers and emits ALBERT graphs for the presets
 * and prints the time, node count and model size. Figures, not assertions.
 *   node --import tsx bench/compile.ts [preset ...]
 */
import { compileModel } from '../src/compile.ts';

const presets = process.argv.slice(2).length ? process.argv.slice(2) : ['base', 'large', 'xlarge', 'xxlarge'];
console.log('preset     head         mode   seconds  nodes  MatMul  model bytes');
for (const preset of presets) {
  for (const [head, mode] of [['pretraining', 'grad'], ['classifier', 'grad']] as const) {
    const c = compileModel({ config: preset, head, mode, numLabels: 2 });
    console.log(
      `${preset.padEnd(10)} ${head.padEnd(12)} ${mode.padEnd(6)} ${c.stats.seconds.toFixed(2).padStart(7)}  ${String(c.stats.nodes).padStart(5)}  ${String(c.stats.ops.MatMul ?? 0).padStart(6)}  ${c.model.length}`,
    );
  }
}

import { UserError } from '../ir/errors.ts';
import type { Graph } from '../ir/graph.ts';
import { printGraph } from '../ir/printer.ts';
import { verifyGraph } from '../ir/verifier.ts';
import { constFoldPass } from './const-fold.ts';
import { csePass } from './cse.ts';
import { dcePass } from './dce.ts';
import type { Pass } from './pass.ts';
import { simplifyPass } from './simplify.ts';

export interface PipelineOptions {
  /** Run verifyGraph after every pass, naming the pass that broke an invariant (default true). */
  verify?: boolean;
  /** Pass names whose result is printed (printGraph), or 'all'. Unknown names are a UserError. */
  dumpAfter?: readonly string[] | 'all';
  /** Receives the dumps (default: stderr). */
  dump?: (passName: string, text: string) => void;
  /** Receives one line per pass run: name, node counts, whether it changed anything, time. */
  log?: (line: string) => void;
  /**
   * Runs the whole list again while some pass still changes the graph, at most this many times
   * in all (default 1). Clean-up passes feed each other: folding can make a `x*1`, CSE can make
   * dead code.
   */
  maxRounds?: number;
}

export interface PassRun {
  pass: string;
  round: number;
  changed: boolean;
  nodesBefore: number;
  nodesAfter: number;
  ms: number;
}

export interface PipelineResult {
  /** Per pass name: whether any of its runs changed the graph. */
  changed: Record<string, boolean>;
  /** Per pass name: node count before its first run and after its last. */
  nodeCounts: Record<string, { before: number; after: number }>;
  /** Every pass run, in order. */
  runs: PassRun[];
}

/** The passes that tidy a graph without changing what it computes, in a good order. */
export function cleanupPasses(): Pass[] {
  return [simplifyPass(), constFoldPass(), csePass(), dcePass()];
}

export function runPipeline(graph: Graph, passes: readonly Pass[], opts: PipelineOptions = {}): PipelineResult {
  const names = passes.map((p) => p.name);
  const dumpSet = dumpSelection(opts.dumpAfter, names);
  const dump = opts.dump ?? ((name: string, text: string) => process.stderr.write(`--- after ${name} ---\n${text}\n`));
  const verify = opts.verify ?? true;
  const maxRounds = Math.max(1, opts.maxRounds ?? 1);
  const result: PipelineResult = { changed: {}, nodeCounts: {}, runs: [] };

  for (let round = 1; round <= maxRounds; round++) {
    let any = false;
    for (const pass of passes) {
      const before = graph.nodes.length;
      const t0 = performance.now();
      const changed = pass.run(graph);
      const ms = performance.now() - t0;
      const after = graph.nodes.length;
      if (verify) {
        try {
          verifyGraph(graph);
        } catch (e) {
          throw new Error(`pass ${pass.name} left an invalid graph: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
        }
      }
      any ||= changed;
      result.runs.push({ pass: pass.name, round, changed, nodesBefore: before, nodesAfter: after, ms });
      result.changed[pass.name] = (result.changed[pass.name] ?? false) || changed;
      const counts = result.nodeCounts[pass.name];
      result.nodeCounts[pass.name] = { before: counts ? counts.before : before, after };
      const suffix = maxRounds > 1 ? ` (round ${round})` : '';
      opts.log?.(`${pass.name}${suffix}: ${before} -> ${after} nodes${changed ? '' : ', unchanged'}, ${ms.toFixed(1)} ms`);
      if (dumpSet.has(pass.name)) dump(pass.name, printGraph(graph));
    }
    if (!any) break;
  }
  return result;
}

function dumpSelection(dumpAfter: PipelineOptions['dumpAfter'], names: string[]): Set<string> {
  if (dumpAfter === undefined) return new Set();
  if (dumpAfter === 'all' || dumpAfter.includes('all')) return new Set(names);
  const unknown = dumpAfter.filter((n) => !names.includes(n));
  if (unknown.length) {
    throw new UserError(`dump-after: unknown pass ${unknown.map((n) => `"${n}"`).join(', ')}; the passes are ${names.length ? [...new Set(names)].join(', ') : '(none)'} (or all)`);
  }
  return new Set(dumpAfter);
}

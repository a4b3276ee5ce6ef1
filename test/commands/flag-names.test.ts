/**
 * One name per concept (src/commands/flag-names.ts): every command names a concept by its
 * canonical flag, the other spellings are aliases that parse to the same option, --help and
 * errors show the canonical name; and what --json prints has snake_case keys.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type FlagShape, normaliseArgv } from '../../src/commands/argv.ts';
import { ALIASES } from '../../src/commands/flag-names.ts';
import { commands } from '../../src/commands/index.ts';
import { snakeKeys } from '../../src/commands/json-keys.ts';
import { albert, assertOneLineError } from '../helpers/cli.ts';

type Shape = FlagShape & { description?: string; char?: string };
interface CommandClass {
  flags?: Record<string, Shape>;
  baseFlags?: Record<string, Shape>;
  originalFlags: Record<string, never>;
  optionFlags: Record<string, string>;
  flagOf(option: string): string;
}
const command = (id: string): CommandClass => commands[id as keyof typeof commands] as unknown as CommandClass;
const shapes = (c: CommandClass): Record<string, Shape> => ({ ...c.baseFlags, ...c.flags });
const ALL_ALIASES = new Set<string>(Object.values(ALIASES).flat());
/** inspect.ts is being rewritten in another change; its flags follow there. */
const PENDING = new Set(['inspect']);
/** Flags spelled as an alias of a concept that mean something else in their command. */
const OTHER_CONCEPT: Record<string, string[]> = {
  // The folder of the CUDA provider package, not a checkpoint.
  'setup:cuda': ['from'],
};
const SNAKE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

describe('one name per concept', () => {
  it('no command names a concept by one of its aliases', (t) => {
    for (const id of Object.keys(commands)) {
      if (PENDING.has(id)) continue;
      const own = Object.keys(shapes(command(id))).filter((n) => ALL_ALIASES.has(n) && !(OTHER_CONCEPT[id] ?? []).includes(n));
      assert.deepEqual(own, [], `albert ${id.replace(':', ' ')}`);
    }
    const inspect = Object.keys(shapes(command('inspect'))).filter((n) => ALL_ALIASES.has(n) && n !== 'out');
    if (inspect.length > 0) t.diagnostic(`inspect still has ${inspect.map((n) => `--${n}`).join(', ')}: inspect.ts is being rewritten by another change`);
  });

  it('every alias parses (kebab or snake_case) to its canonical flag, and the help text names it', () => {
    let seen = 0;
    for (const [id, c] of Object.entries(commands)) {
      const flags = shapes(c as unknown as CommandClass);
      for (const [name, flag] of Object.entries(flags)) {
        for (const alias of flag.aliases ?? []) {
          seen++;
          const where = `albert ${id.replace(':', ' ')} --${alias}`;
          assert.ok(flag.description?.includes(`--${alias}`), `${where}: its description does not name the alias`);
          for (const typed of [`--${alias}`, `--${alias.replaceAll('-', '_')}`]) {
            const want = flag.type === 'option' ? [`--${name}=v`] : [`--${name}`];
            assert.deepEqual(normaliseArgv([flag.type === 'option' ? `${typed}=v` : typed], flags, (c as unknown as CommandClass).originalFlags).argv, want, where);
          }
        }
      }
    }
    assert.ok(seen >= 20, `${seen} aliases`);
  });

  it("library options render as each command's canonical flags", () => {
    const cases: [string, string, string][] = [
      ['compile', 'maxPredictions', '--max-predictions-per-seq'],
      ['compile', 'config', '--config'],
      ['pretrain', 'config', '--config'],
      ['pretrain', 'maxPredictions', '--max-predictions-per-seq'],
      ['finetune:glue', 'config', '--config'],
      ['finetune:glue', 'trainStep', '--num-train-steps'],
      ['finetune:race', 'warmupStep', '--num-warmup-steps'],
      ['finetune:classify', 'validationFile', '--eval-file'],
      ['finetune:multiple-choice', 'testFile', '--predict-file'],
      ['finetune:squad', 'config', '--config'],
      ['convert', 'from', '--init-checkpoint'],
      ['convert', 'out', '--output-dir'],
      ['export', 'outDir', '--output-dir'],
      ['run', 'seqLength', '--max-seq-length'],
      ['quickstart', 'out', '--output-dir'],
      ['quickstart', 'steps', '--num-train-steps'],
      ['create-pretraining-data', 'randomSeed', '--seed'],
    ];
    for (const [id, option, flag] of cases) assert.equal(command(id).flagOf(option), flag, `${id} ${option}`);
    // Every flag an optionFlags entry names is one of the command's own (no stale spelling).
    for (const [id, c] of Object.entries(commands)) {
      const flags = shapes(c as unknown as CommandClass);
      for (const [option, flag] of Object.entries((c as unknown as CommandClass).optionFlags)) {
        if (option === 'outDir' && flag === '--export-dir' && !('export-dir' in flags)) continue;
        assert.ok(flag.slice(2) in flags, `${id}: ${option} -> ${flag}, not a flag of the command`);
      }
    }
  });

  it("albert finetune classify takes run_classifier's TPU flags as glue does", () => {
    const c = command('finetune:classify');
    const r = normaliseArgv(['--use_tpu=false', '--tpu_name=t', '--iterations_per_loop=1000', '--train_step=5', '--albert_config_file=tiny'], shapes(c), c.originalFlags);
    assert.deepEqual(r.argv, ['--num-train-steps=5', '--config=tiny']);
    assert.equal(r.notes.length, 3);
    assert.throws(() => normaliseArgv(['--threshold_to_export=0.9'], shapes(c), c.originalFlags), /^ArgvError: --threshold_to_export: not implemented/);
  });
});

describe('aliases on the command line', () => {
  it('compile and run give the same result under the old names and the canonical ones; --help lists the canonical ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-names-'));
    const [canonical, old] = await Promise.all([
      albert('compile', '--config', 'tiny', '--head', 'mlm', '--mode', 'infer', '--max-predictions-per-seq', '4', '--seed', '3', '--output-dir', join(dir, 'a')),
      albert('compile', '--albert_config_file=tiny', '--head', 'mlm', '--mode', 'infer', '--max-predictions', '4', '--seed', '3', '--out', join(dir, 'b')),
    ]);
    assert.equal(canonical.code, 0, canonical.stderr);
    assert.equal(old.code, 0, old.stderr);
    assert.deepEqual(readFileSync(join(dir, 'b', 'model.onnx')), readFileSync(join(dir, 'a', 'model.onnx')));
    assert.equal(readFileSync(join(dir, 'b', 'manifest.json'), 'utf8').replaceAll(join(dir, 'b'), '@'), readFileSync(join(dir, 'a', 'manifest.json'), 'utf8').replaceAll(join(dir, 'a'), '@'));

    const [runOld, runNew, tooLong] = await Promise.all([
      albert('run', '--model', join(dir, 'a'), '--batch-size', '2', '--seq-length', '8', '--json'),
      albert('run', '--model', join(dir, 'a'), '--batch-size', '2', '--max-seq-length', '8', '--json'),
      albert('run', '--model', join(dir, 'a'), '--seq-length', '65'),
    ]);
    assert.equal(runOld.code, 0, runOld.stderr);
    const [a, b] = [JSON.parse(runOld.stdout), JSON.parse(runNew.stdout)];
    assert.equal(a.seq_length, 8);
    assert.deepEqual(a.outputs, b.outputs);
    for (const key of [...Object.keys(a), ...a.outputs.flatMap((o: object) => Object.keys(o))]) assert.match(key, SNAKE);
    // An error names the canonical flag, whichever spelling was typed.
    assertOneLineError(tooLong, /^Error: --max-seq-length 65 exceeds/);
  });

  it('--help shows each canonical flag, and its aliases only in its description', async () => {
    const cases: [string[], string[], string[]][] = [
      [['compile'], ['config', 'output-dir', 'max-predictions-per-seq'], ['albert-config-file', 'out', 'max-predictions']],
      [['convert'], ['init-checkpoint', 'output-dir', 'config'], ['from', 'out']],
      [['run'], ['max-seq-length'], ['seq-length']],
      [['pretrain'], ['config', 'output-dir', 'num-train-steps'], ['albert-config-file', 'out']],
      [['finetune', 'classify'], ['config', 'num-train-steps', 'num-warmup-steps', 'eval-file', 'predict-file'], ['albert-config-file', 'train-step', 'warmup-step', 'validation-file', 'test-file']],
      [['quickstart'], ['output-dir', 'num-train-steps'], ['out', 'steps']],
      [['create-pretraining-data'], ['seed'], ['random-seed']],
    ];
    const runs = await Promise.all(cases.map(([words]) => albert(...words, '--help')));
    cases.forEach(([words, canonical, aliases], i) => {
      const r = runs[i];
      assert.equal(r.code, 0, r.stderr);
      // A flag's line in the FLAGS section: "  -c, --config=<value>" or "  --output-dir=<value>".
      const listed = new Set([...r.stdout.matchAll(/^\s+(?:-\w, )?--([a-z0-9-]+)(?=[=\s]|$)/gm)].map((m) => m[1]));
      for (const f of canonical) assert.ok(listed.has(f), `albert ${words.join(' ')} --help lists --${f}`);
      for (const f of aliases) {
        assert.ok(!listed.has(f), `albert ${words.join(' ')} --help lists the alias --${f} as a flag`);
        assert.match(r.stdout, new RegExp(`alias:[^)]*--${f}(?![\\w-])`), `albert ${words.join(' ')} --help names the alias --${f}`);
      }
    });
  });
});

describe('--json keys', () => {
  it('snakeKeys converts the top level and the named paths (objects and arrays of them), not the data below', () => {
    const doc = { topK: 1, ops: { MatMul: 2 }, outputs: [{ maxAbs: 1, name: 'x' }], finetune: { devExamples: 3, settings: { batchSize: 8 }, metrics: { HasAns_f1: 1 } } };
    assert.deepEqual(snakeKeys(doc, ['outputs', 'finetune', 'finetune.settings']), {
      top_k: 1,
      ops: { MatMul: 2 },
      outputs: [{ max_abs: 1, name: 'x' }],
      finetune: { dev_examples: 3, settings: { batch_size: 8 }, metrics: { HasAns_f1: 1 } },
    });
  });

  it('quickstart (under its old flag names) prints JSON lines with snake_case keys, its summary included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-qs-names-'));
    const r = await albert('quickstart', '--out', join(dir, 'qs'), '--steps', '2', '--finetune-steps', '2', '--documents', '200', '--eval-documents', '30', '--threads', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) for (const k of Object.keys(l)) assert.match(k, SNAKE, `${l.type} line`);
    const summaries = lines.filter((l) => l.type === 'summary');
    assert.equal(summaries.length, 3, 'pretraining and the two fine-tuning runs');
    assert.equal(summaries[0].final_step, 2, '--steps is --num-train-steps');
    const last = lines[lines.length - 1] as { type: string; finetune: { settings: object; pretrained: object } };
    assert.equal(last.type, 'quickstart');
    for (const k of [...Object.keys(last.finetune), ...Object.keys(last.finetune.settings), ...Object.keys(last.finetune.pretrained)]) assert.match(k, SNAKE);
  });

  it('evaluate glue, evaluate squad and doctor print snake_case keys (squad: the official script\'s)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'albert-json-'));
    const rows = ['Quality\t#1 ID\t#2 ID\t#1 String\t#2 String', ...[0, 1, 1, 0].map((l, i) => `${l}\t${i}\t${i + 10}\tthe cat ${i}\tthe dog ${i}`)];
    writeFileSync(join(dir, 'dev.tsv'), `${rows.join('\n')}\n`);
    writeFileSync(join(dir, 'pred.tsv'), 'index\tprediction\n0\t0\n1\t1\n2\t0\n3\t0\n');
    const gold = { version: '1.1', data: [{ title: 't', paragraphs: [{ context: 'The cat is red.', qas: [{ id: 'q1', question: 'What color?', answers: [{ text: 'red', answer_start: 11 }] }] }] }] };
    writeFileSync(join(dir, 'gold.json'), JSON.stringify(gold));
    writeFileSync(join(dir, 'squad-pred.json'), JSON.stringify({ q1: 'red' }));
    const [glue, squad, doctor] = await Promise.all([
      albert('evaluate', 'glue', '--task-name', 'MRPC', '--data-dir', dir, '--predictions', join(dir, 'pred.tsv'), '--json'),
      albert('evaluate', 'squad', '--data-file', join(dir, 'gold.json'), '--predictions', join(dir, 'squad-pred.json'), '--json'),
      albert('doctor', '--provider', 'cpu', '--json'),
    ]);
    for (const r of [glue, squad, doctor]) assert.equal(r.code, 0, r.stderr);
    const g = JSON.parse(glue.stdout) as Record<string, unknown>;
    for (const k of Object.keys(g)) assert.match(k, SNAKE);
    assert.equal(g.examples, 4);
    assert.deepEqual(JSON.parse(squad.stdout), { exact_match: 100, f1: 100, unanswered: 0 });
    const d = JSON.parse(doctor.stdout) as { usable: Record<string, boolean>; checks: Record<string, unknown>[] };
    for (const k of [...Object.keys(d), ...d.checks.flatMap((c) => Object.keys(c))]) assert.match(k, SNAKE);
    assert.equal(d.usable.cpu, true);
  });
});

/**
 * The original README's command lines, pasted with `python -m albert.run_x` swapped for the
 * albert command, run on tiny generated data: pretraining first, then GLUE, SQuAD v1/v2 and RACE
 * fine-tuning from its result. The lines keep their flags and spellings as printed; the `...`
 * become the test's files, and sizes and step counts become tiny ones (same flags, smaller
 * values) so each run takes seconds. And the CLI's help, version and flag suggestions.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { trainUnigram } from '../../src/text/train/unigram-trainer.ts';
import { albert, assertOneLineError, type Run } from '../helpers/cli.ts';
import { PRED, SEQ, writeCountingRecords } from '../train/helpers.ts';

// Verbatim from google-research/albert README.md.
const README = {
  pretrain: `python -m albert.run_pretraining \\
    --input_file=... \\
    --output_dir=... \\
    --init_checkpoint=... \\
    --albert_config_file=... \\
    --do_train \\
    --do_eval \\
    --train_batch_size=4096 \\
    --eval_batch_size=64 \\
    --max_seq_length=512 \\
    --max_predictions_per_seq=20 \\
    --optimizer='lamb' \\
    --learning_rate=.00176 \\
    --num_train_steps=125000 \\
    --num_warmup_steps=3125 \\
    --save_checkpoints_steps=5000`,
  classifier: `python -m albert.run_classifier \\
  --data_dir=... \\
  --output_dir=... \\
  --init_checkpoint=... \\
  --albert_config_file=... \\
  --spm_model_file=... \\
  --do_train \\
  --do_eval \\
  --do_predict \\
  --do_lower_case \\
  --max_seq_length=128 \\
  --optimizer=adamw \\
  --task_name=MNLI \\
  --warmup_step=1000 \\
  --learning_rate=3e-5 \\
  --train_step=10000 \\
  --save_checkpoints_steps=100 \\
  --train_batch_size=128`,
  squad: (v: 1 | 2): string => `python -m albert.run_squad_v${v} \\
  --albert_config_file=... \\
  --output_dir=... \\
  --train_file=... \\
  --predict_file=... \\
  --train_feature_file=... \\
  --predict_feature_file=... \\
  --predict_feature_left_file=... \\
  --init_checkpoint=... \\
  --spm_model_file=... \\
  --do_lower_case \\
  --max_seq_length=384 \\
  --doc_stride=128 \\
  --max_query_length=64 \\
  ${v === 1 ? '--do_train=true' : '--do_train'} \\
  ${v === 1 ? '--do_predict=true' : '--do_predict'} \\
  --train_batch_size=48 \\
  --predict_batch_size=8 \\
  --learning_rate=5e-5 \\
  --num_train_epochs=2.0 \\
  --warmup_proportion=.1 \\
  --save_checkpoints_steps=5000 \\
  --n_best_size=20 \\
  --max_answer_length=30`,
  race: `python -m albert.run_race \\
  --albert_config_file=... \\
  --output_dir=... \\
  --train_file=... \\
  --eval_file=... \\
  --data_dir=...\\
  --init_checkpoint=... \\
  --spm_model_file=... \\
  --max_seq_length=512 \\
  --max_qa_length=128 \\
  --do_train \\
  --do_eval \\
  --train_batch_size=32 \\
  --eval_batch_size=8 \\
  --learning_rate=1e-5 \\
  --train_step=12000 \\
  --warmup_step=1000 \\
  --save_checkpoints_steps=100`,
};

const MODULES: Record<string, string[]> = {
  'albert.run_pretraining': ['pretrain'],
  'albert.run_classifier': ['finetune', 'glue'],
  'albert.run_squad_v1': ['finetune', 'squad'],
  'albert.run_squad_v2': ['finetune', 'squad'],
  'albert.run_race': ['finetune', 'race'],
};

/**
 * The words a shell makes of `line` (continuations joined, quotes of a value removed), with the
 * module swapped for its command, each `--flag=value` named in `values` given that value and the
 * flags in `drop` left out. Every `values` entry must be used: the README line is what is tested.
 */
function pasted(line: string, values: Record<string, string>, drop: string[] = []): string[] {
  const words = line.replace(/\\\n/g, ' ').split(/\s+/).filter((w) => w !== '');
  assert.deepEqual(words.slice(0, 2), ['python', '-m']);
  const used = new Set<string>();
  const args = words.slice(3).flatMap((w) => {
    const [name, value] = w.split(/=(.*)/s);
    if (drop.includes(name)) return (used.add(name), []);
    if (value === undefined) return [w];
    if (Object.hasOwn(values, name)) return (used.add(name), [`${name}=${values[name]}`]);
    return [`${name}=${value.replace(/^'(.*)'$/, '$1')}`];
  });
  assert.deepEqual([...used].sort(), [...Object.keys(values), ...drop].sort());
  return [...MODULES[words[2]], ...args];
}

const WORDS = ['the', 'a', 'cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'good', 'bad', 'is', 'was', 'it', 'what', 'color', 'which', 'animal', 'here', 'we', 'went', 'home'];

function writeData(dir: string): { spm: string; mrpc: string; squad: (v2: boolean) => string; race: string } {
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, WORDS.map((w, i) => `The ${w} is ${WORDS[(i * 7) % WORDS.length]}. What color is it? Which animal is it? We went home.\n`).join('').repeat(3));
  trainUnigram({ input: [corpus], vocabSize: 40, modelPrefix: join(dir, 'spm'), doLowerCase: true, seed: 1 });

  const mrpc = join(dir, 'MRPC');
  mkdirSync(mrpc);
  for (const [split, n] of [['train', 16], ['dev', 8], ['test', 4]] as const) {
    const rows = ['Quality\t#1 ID\t#2 ID\t#1 String\t#2 String'];
    for (let i = 0; i < n; i++) rows.push(`${split === 'test' ? i : i % 2}\t${100 + i}\t${200 + i}\tthe ${WORDS[i + 2]} is good\tthe ${WORDS[i + 3]} was ${i % 2 ? 'good' : 'bad'}`);
    writeFileSync(join(mrpc, `${split}.tsv`), `${rows.join('\n')}\n`);
  }

  const squad = (v2: boolean): string => {
    const data = ['cat', 'dog', 'bird', 'fish'].map((a, p) => {
      const context = `We went home. The ${a} is red. It was here.`;
      const at = context.indexOf(`The ${a}`);
      const qas = [
        { id: `q${p}a`, question: 'Which animal is it?', answers: [{ text: a, answer_start: at + 4 }], ...(v2 ? { is_impossible: false } : {}) },
        v2 && p % 2 ? { id: `q${p}c`, question: 'What color is it?', answers: [], is_impossible: true } : { id: `q${p}c`, question: 'What color is it?', answers: [{ text: 'red', answer_start: context.indexOf('red') }], ...(v2 ? { is_impossible: false } : {}) },
      ];
      return { title: `t${p}`, paragraphs: [{ context, qas }] };
    });
    const path = join(dir, v2 ? 'squad2.json' : 'squad1.json');
    writeFileSync(path, JSON.stringify({ version: v2 ? 'v2.0' : '1.1', data }));
    return path;
  };

  const race = join(dir, 'race');
  for (const split of ['train', 'dev', 'test']) {
    for (const level of ['middle', 'high']) {
      const d = join(race, 'RACE', split, level);
      mkdirSync(d, { recursive: true });
      for (let i = 0; i < 2; i++) {
        const options = ['red', 'blue', 'green', 'good'];
        writeFileSync(join(d, `${i}.txt`), JSON.stringify({ id: `${level}${i}`, article: `The ${WORDS[i + 2]} is ${options[i]}.`, questions: ['The animal is _ .'], options: [options], answers: ['ABCD'[i]] }));
      }
    }
  }
  return { spm: join(dir, 'spm.model'), mrpc, squad, race };
}

const ok = (r: Run): void => assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);

describe('the original README command lines', () => {
  let dir: string;
  let data: ReturnType<typeof writeData>;
  let pretrained: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'albert-readme-'));
    data = writeData(dir);
  });

  it('run_pretraining -> albert pretrain', async () => {
    const train = await writeCountingRecords(join(dir, 'train.tfrecord'), 16, 1);
    pretrained = join(dir, 'pretrain');
    // Fresh weights: there is no checkpoint to start from before this run.
    const args = pasted(
      README.pretrain,
      { '--input_file': train, '--output_dir': pretrained, '--albert_config_file': 'tiny', '--train_batch_size': '8', '--eval_batch_size': '8', '--max_seq_length': String(SEQ), '--max_predictions_per_seq': String(PRED), '--num_train_steps': '2', '--num_warmup_steps': '1', '--save_checkpoints_steps': '2' },
      ['--init_checkpoint'],
    );
    const r = await albert(...args, '--threads=1');
    ok(r);
    for (const f of ['model.safetensors', 'config.json', 'eval_results.txt']) assert.ok(existsSync(join(pretrained, f)), f);
  });

  it('run_classifier -> albert finetune glue', async (t) => {
    assert.ok(pretrained, 'the run_pretraining test above did not run: this line starts from its output');
    const out = join(dir, 'glue');
    const args = pasted(README.classifier, {
      '--data_dir': data.mrpc, '--output_dir': out, '--init_checkpoint': pretrained, '--albert_config_file': join(pretrained, 'config.json'), '--spm_model_file': data.spm,
      '--max_seq_length': '24', '--task_name': 'MRPC', '--warmup_step': '1', '--train_step': '2', '--save_checkpoints_steps': '2', '--train_batch_size': '8',
    });
    const r = await albert(...args, '--threads=1');
    ok(r);
    for (const f of ['eval_results.txt', 'test_results.tsv', 'MRPC.tsv']) assert.ok(existsSync(join(out, f)), f);
  });

  for (const v of [1, 2] as const) {
    it(`run_squad_v${v} -> albert finetune squad --version ${v === 1 ? '1.1' : '2.0'}`, async (t) => {
      assert.ok(pretrained, 'the run_pretraining test above did not run: this line starts from its output');
      const out = join(dir, `squad${v}`);
      const file = data.squad(v === 2);
      const args = pasted(README.squad(v), {
        '--albert_config_file': join(pretrained, 'config.json'), '--output_dir': out, '--train_file': file, '--predict_file': file, '--train_feature_file': join(dir, `train${v}.tfrecord`),
        '--predict_feature_file': join(dir, `predict${v}.tfrecord`), '--predict_feature_left_file': join(dir, `left${v}`), '--init_checkpoint': pretrained, '--spm_model_file': data.spm,
        '--max_seq_length': '48', '--doc_stride': '16', '--max_query_length': '12', '--train_batch_size': '8',
      });
      // SQuAD 1.1 and 2.0 are one command here: the version is the one flag the line lacks.
      const r = await albert(...args, `--version=${v === 1 ? '1.1' : '2.0'}`, '--threads=1');
      ok(r);
      assert.match(r.stderr, /^ignored: --predict_feature_left_file \(/m);
      for (const f of ['predictions.json', 'nbest_predictions.json', ...(v === 2 ? ['null_odds.json'] : [])]) assert.ok(existsSync(join(out, f)), f);
    });
  }

  it('run_race -> albert finetune race', async (t) => {
    assert.ok(pretrained, 'the run_pretraining test above did not run: this line starts from its output');
    const out = join(dir, 'race-out');
    const args = pasted(README.race, {
      '--albert_config_file': join(pretrained, 'config.json'), '--output_dir': out, '--train_file': join(data.race, 'RACE/train/middle/0.txt'), '--eval_file': join(data.race, 'RACE/dev/high/1.txt'),
      '--data_dir': data.race, '--init_checkpoint': pretrained, '--spm_model_file': data.spm, '--max_seq_length': '32', '--max_qa_length': '12', '--train_batch_size': '1', '--train_step': '2',
      '--warmup_step': '1', '--save_checkpoints_steps': '2',
    });
    const r = await albert(...args, '--threads=1');
    ok(r);
    assert.ok(existsSync(join(out, 'eval_results.txt')));
  });
});

describe('albert help, version and suggestions', () => {
  it('help, -h and --help show the same help; version and --version the version', async () => {
    const [help, h, dashHelp, sub, version, dashVersion, versionJson] = await Promise.all([
      albert('help', 'finetune', 'glue'),
      albert('finetune', 'glue', '-h'),
      albert('finetune', 'glue', '--help'),
      albert('help'),
      albert('version'),
      albert('--version'),
      albert('version', '--json'),
    ]);
    for (const r of [help, h, dashHelp, sub, version, dashVersion, versionJson]) ok(r);
    assert.match(help.stdout, /USAGE\n\s+\$ albert finetune glue --task-name/);
    assert.equal(h.stdout, help.stdout);
    assert.equal(dashHelp.stdout, help.stdout);
    assert.match(sub.stdout, /COMMANDS/);
    assert.match(version.stdout, /^albert-compiler\/\d+\.\d+\.\d+ /);
    assert.equal(version.stdout, dashVersion.stdout);
    const v = JSON.parse(versionJson.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(v), ['name', 'version', 'node_version', 'platform', 'arch']);
  });

  it('a mistyped flag or command is one line naming the nearest', async () => {
    const [flag, snake, refused, command] = await Promise.all([
      albert('pretrain', '--ouput-dir', 'x', '--do-train'),
      albert('finetune', 'glue', '--task_nme=MRPC'),
      albert('finetune', 'glue', '--albert_hub_module_handle=https://tfhub.dev/google/albert_base/1'),
      albert('help', 'pretrian'),
    ]);
    assertOneLineError(flag, /^Error: unknown flag --ouput-dir; did you mean --output-dir\?$/);
    assert.equal(flag.code, 2);
    assertOneLineError(snake, /^Error: unknown flag --task_nme; did you mean --task-name\?$/);
    assertOneLineError(refused, /^Error: --albert_hub_module_handle: TF-Hub modules are not loaded here/);
    assertOneLineError(command, /^Error: command "pretrian" not found; did you mean "pretrain"\?$/);
  });
});

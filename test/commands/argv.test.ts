/**
 * The command-line normaliser (snake_case, absl booleans, the original flags' table) and the
 * "did you mean" suggestions, in-process; and that every flag the original scripts define is
 * taken by the matching command: as one of its flags, or by its table (renamed, ignored, refused).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgvError, type FlagShape, normaliseArgv } from '../../src/commands/argv.ts';
import { closest, editDistance, unknownCommandMessage } from '../../src/commands/did-you-mean.ts';
import { commands } from '../../src/commands/index.ts';

const FLAGS: Record<string, FlagShape> = {
  'output-dir': { type: 'option' },
  'do-train': { type: 'boolean', default: false },
  'do-lower-case': { type: 'boolean', default: true, allowNo: true },
  'no-memory-check': { type: 'boolean', default: false },
  'albert-config-file': { type: 'option', aliases: ['config'] },
  'keep-checkpoint-max': { type: 'option' },
};

const norm = (argv: string[], table = {}): string[] => normaliseArgv(argv, FLAGS, table).argv;

describe('normaliseArgv', () => {
  it('takes snake_case, --flag=value and --flag value, and leaves values, arguments and everything after -- alone', () => {
    assert.deepEqual(norm(['--output_dir=a_b', '--albert_config_file', '--do_train', 'x_y', '--', '--odd_one']), ['--output-dir=a_b', '--albert-config-file', '--do_train', 'x_y', '--', '--odd_one']);
    assert.deepEqual(norm(['--output-dir', '-1', '--config=tiny']), ['--output-dir', '-1', '--albert-config-file=tiny']);
    assert.deepEqual(norm(['--no_memory_check']), ['--no-memory-check']);
  });

  it("takes absl's booleans: =true/=false (t, f, 1, 0, any case), --noflag and --no_flag", () => {
    assert.deepEqual(norm(['--do_train=true', '--do_lower_case=False']), ['--do-train', '--no-do-lower-case']);
    assert.deepEqual(norm(['--do_train=0']), [], 'off is the default of a flag without --no-');
    assert.deepEqual(norm(['--nodo_train', '--nodo_lower_case', '--no-do-lower-case']), ['--no-do-lower-case', '--no-do-lower-case']);
    assert.throws(() => norm(['--do_train=maybe']), (e: Error) => e instanceof ArgvError && e.message === '--do_train: expected true or false, got "maybe"');
  });

  it('applies the table: another name, ignored with a note, refused, accepted only at the value we use', () => {
    const table = {
      num_keep_checkpoint: { to: 'keep-checkpoint-max' },
      tpu_name: { ignore: 'no TPU here' },
      use_tpu: { ignore: 'no TPU here', bool: true },
      hub: { refuse: 'not loaded here' },
      poly_power: { only: 1, refuse: 'only 1' },
      flip: { only: false, refuse: 'not implemented', bool: true },
    };
    const r = normaliseArgv(['--num_keep_checkpoint=3', '--tpu_name', 'v3', '--use_tpu', '--poly_power=1.0', '--noflip', '--do_train'], FLAGS, table);
    assert.deepEqual(r.argv, ['--keep-checkpoint-max=3', '--do-train']);
    assert.deepEqual(r.notes, ['ignored: --tpu_name (no TPU here)', 'ignored: --use_tpu (no TPU here)']);
    assert.throws(() => norm(['--hub=x'], table), /^ArgvError: --hub: not loaded here$/);
    assert.throws(() => norm(['--poly_power', '2'], table), /--poly_power: only 1/);
    assert.throws(() => norm(['--flip'], table), /--flip: not implemented/);
  });

  it('refuses an unknown flag, naming the nearest one', () => {
    assert.throws(() => norm(['--ouput-dir', 'x']), (e: Error) => e.message === 'unknown flag --ouput-dir; did you mean --output-dir?');
    assert.throws(() => norm(['--do_trian']), (e: Error) => e.message === 'unknown flag --do_trian; did you mean --do-train?');
    assert.throws(() => norm(['--completely-different']), (e: Error) => e.message === 'unknown flag --completely-different');
  });
});

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and neighbour swaps as one edit each', () => {
    assert.equal(editDistance('pretrain', 'pretrain'), 0);
    assert.equal(editDistance('pretrian', 'pretrain'), 1);
    assert.equal(editDistance('export', 'exprt'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(closest('tokenise', ['tokenize', 'train-tokenizer']), 'tokenize');
    assert.equal(closest('zzz', ['tokenize']), undefined);
  });

  it('names the nearest command for words that are none, in the spelling the user types', () => {
    const ids = Object.keys(commands);
    assert.equal(unknownCommandMessage(['pretrian', '--output-dir', 'x'], ids), 'command "pretrian" not found; did you mean "pretrain"?');
    assert.equal(unknownCommandMessage(['finetune', 'glu'], ids), 'command "finetune glu" not found; did you mean "finetune glue"?');
    assert.equal(unknownCommandMessage(['qwertyuiop'], ids), 'command "qwertyuiop" not found');
    for (const ok of [['pretrain'], ['finetune', 'glue', 'extra'], ['finetune'], ['--version'], [], ['tokenize', 'some text']]) assert.equal(unknownCommandMessage(ok, ids), undefined, ok.join(' '));
  });
});

/** Every flag of the original scripts (their flags.DEFINE_* names), with a value of its type. */
const ORIGINAL: Record<string, Record<string, string>> = {
  pretrain: {
    albert_config_file: 'c', input_file: 'f', output_dir: 'o', init_checkpoint: 'k', max_seq_length: '512', max_predictions_per_seq: '20', do_train: 'bool', do_eval: 'bool', train_batch_size: '8',
    eval_batch_size: '8', optimizer: 'lamb', learning_rate: '0.1', poly_power: '1.0', num_train_steps: '5', num_warmup_steps: '1', start_warmup_step: '0', save_checkpoints_steps: '5', keep_checkpoint_max: '5',
    iterations_per_loop: '1000', max_eval_steps: '10', use_tpu: 'bool-false', init_from_group0: 'bool-false', tpu_name: 't', tpu_zone: 'z', gcp_project: 'p', master: 'm', num_tpu_cores: '8', masked_lm_budget: '0',
  },
  'finetune:glue': {
    data_dir: 'd', albert_config_file: 'c', task_name: 'MNLI', vocab_file: 'v', spm_model_file: 's', output_dir: 'o', cached_dir: 'c', init_checkpoint: 'k', do_lower_case: 'bool', max_seq_length: '128',
    do_train: 'bool', do_eval: 'bool', do_predict: 'bool', train_batch_size: '8', eval_batch_size: '8', predict_batch_size: '8', learning_rate: '1e-5', train_step: '10', warmup_step: '1', save_checkpoints_steps: '5',
    keep_checkpoint_max: '5', iterations_per_loop: '1000', use_tpu: 'bool-false', optimizer: 'adamw', tpu_name: 't', tpu_zone: 'z', gcp_project: 'p', master: 'm', num_tpu_cores: '8', export_dir: 'e',
  },
  'finetune:squad': {
    albert_config_file: 'c', vocab_file: 'v', spm_model_file: 's', output_dir: 'o', train_file: 't', predict_file: 'p', train_feature_file: 'tf', predict_feature_file: 'pf', predict_feature_left_file: 'pl',
    init_checkpoint: 'k', do_lower_case: 'bool', max_seq_length: '384', doc_stride: '128', max_query_length: '64', do_train: 'bool', do_predict: 'bool', train_batch_size: '8', predict_batch_size: '8',
    learning_rate: '5e-5', num_train_epochs: '2.0', warmup_proportion: '.1', save_checkpoints_steps: '5', iterations_per_loop: '1000', n_best_size: '20', max_answer_length: '30', use_tpu: 'bool-false',
    tpu_name: 't', tpu_zone: 'z', gcp_project: 'p', master: 'm', num_tpu_cores: '8', use_einsum: 'bool', export_dir: 'e', start_n_top: '5', end_n_top: '5', dropout_prob: '0.1',
  },
  'finetune:race': {
    data_dir: 'd', albert_config_file: 'c', task_name: 'race', vocab_file: 'v', train_file: 't', eval_file: 'e', predict_file: 'p', spm_model_file: 's', output_dir: 'o', init_checkpoint: 'k',
    do_lower_case: 'bool', dropout_prob: '0.1', max_seq_length: '512', max_qa_length: '128', num_keep_checkpoint: '5', high_only: 'bool-false', middle_only: 'bool-false', do_train: 'bool', do_eval: 'bool',
    do_predict: 'bool', train_batch_size: '8', eval_batch_size: '8', predict_batch_size: '8', learning_rate: '1e-5', train_step: '10', warmup_step: '1', save_checkpoints_steps: '5', iterations_per_loop: '1000',
    use_tpu: 'bool-false', tpu_name: 't', tpu_zone: 'z', gcp_project: 'p', master: 'm', num_tpu_cores: '8',
  },
  'create-pretraining-data': {
    input_file: 'i', output_file: 'o', vocab_file: 'v', spm_model_file: 's', input_file_mode: 'r', do_lower_case: 'bool', do_whole_word_mask: 'bool', do_permutation: 'bool-false', favor_shorter_ngram: 'bool',
    random_next_sentence: 'bool', max_seq_length: '128', ngram: '3', max_predictions_per_seq: '20', random_seed: '1', dupe_factor: '2', masked_lm_prob: '0.15', short_seq_prob: '0.1',
  },
};

/** Original flags that would change the result in a way not implemented here: refused, not dropped. */
const REFUSED: Record<string, string[]> = {
  'finetune:glue': ['albert_hub_module_handle', 'threshold_to_export'],
  'finetune:squad': ['albert_hub_module_handle'],
  'finetune:race': ['albert_hub_module_handle'],
};

describe('the original scripts\' flags', () => {
  for (const [id, flags] of Object.entries(ORIGINAL)) {
    it(`albert ${id.replace(':', ' ')} takes every flag of the original script`, () => {
      const command = commands[id as keyof typeof commands] as unknown as { flags: Record<string, FlagShape>; baseFlags?: Record<string, FlagShape>; originalFlags: Record<string, never> };
      const shapes = { ...command.baseFlags, ...command.flags };
      for (const [name, value] of Object.entries(flags)) {
        const forms = value === 'bool' ? [`--${name}`, `--${name}=true`, `--no${name}`] : value === 'bool-false' ? [`--no${name}`, `--${name}=false`] : [`--${name}=${value}`];
        for (const form of forms) {
          const r = normaliseArgv([form], shapes, command.originalFlags);
          for (const a of r.argv) assert.ok(a.replace(/^--(no-)?/, '').replace(/=.*$/, '') in shapes, `${form} became ${a}`);
        }
      }
      for (const name of REFUSED[id] ?? []) assert.throws(() => normaliseArgv([`--${name}=1`], shapes, command.originalFlags), new RegExp(`^ArgvError: --${name}: `));
    });
  }
});

// Library errors name options as the library's API spells them (OptionError's `{option}`
// placeholders); commands render those as the flags the user typed (DESIGN.md Conventions).
// Here: OptionError's rendering, each command's flags for the options, and a guard that no
// library error (outside src/commands) names a CLI flag itself.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { kebabFlag, OptionError, UserError } from '../../src/util/errors.ts';
import { commands } from '../../src/commands/index.ts';
import Compile from '../../src/commands/compile.ts';
import Export from '../../src/commands/export.ts';
import FinetuneClassify from '../../src/commands/finetune/classify.ts';
import FinetuneGlue from '../../src/commands/finetune/glue.ts';
import PredictFillMask from '../../src/commands/predict/fill-mask.ts';
import PredictTextClassification from '../../src/commands/predict/text-classification.ts';
import Pretrain from '../../src/commands/pretrain.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Files allowed to keep flags in their error messages, each with the reason. Keep it short:
 * an entry is a debt, not a design.
 */
const EXEMPT: Record<string, string> = {
};

/** Index just past the string literal opening at `i` (a template's `${...}` parts included). */
function skipString(src: string, i: number): number {
  const quote = src[i++];
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') i += 2;
    else if (c === quote) return i + 1;
    else if (quote === '`' && c === '$' && src[i + 1] === '{') i = skipCode(src, i + 2, '}');
    else i++;
  }
  return i;
}

/** Index just past the `close` that ends the code starting at `i` (nesting, strings and comments skipped). */
function skipCode(src: string, i: number, close: ')' | '}', literals?: string[]): number {
  const open = close === ')' ? '(' : '{';
  let depth = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === "'" || c === '`') {
      const end = skipString(src, i);
      literals?.push(src.slice(i, end));
      i = end;
    } else if (c === '/' && src[i + 1] === '/') {
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? src.length : nl;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      i = end < 0 ? src.length : end + 2;
    } else {
      if (c === open) depth++;
      else if (c === close) {
        if (depth === 0) return i + 1;
        depth--;
      }
      i++;
    }
  }
  return i;
}

/** The string literals inside the arguments of every `...Error(` call that contain a flag (`--x`). */
function flagsInErrors(src: string): string[] {
  const found: string[] = [];
  for (const m of src.matchAll(/\b\w*Error\(/g)) {
    const literals: string[] = [];
    skipCode(src, m.index + m[0].length, ')', literals);
    found.push(...literals.filter((l) => /--[a-z]/.test(l)));
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('OptionError', () => {
  it('keeps its template and, without a command, names the options as the library does', () => {
    const e = new OptionError('{maxSeqLength} 600 exceeds the config\'s max_position_embeddings 512 (or pass {config})');
    assert.ok(e instanceof UserError);
    assert.equal(e.name, 'OptionError');
    assert.equal(e.template, '{maxSeqLength} 600 exceeds the config\'s max_position_embeddings 512 (or pass {config})');
    assert.equal(e.message, 'maxSeqLength 600 exceeds the config\'s max_position_embeddings 512 (or pass config)');
    assert.deepEqual(e.options, ['maxSeqLength', 'config']);
    assert.equal(OptionError.render(e.template, (o) => `<${o}>`), '<maxSeqLength> 600 exceeds the config\'s max_position_embeddings 512 (or pass <config>)');
    // Only {camelCase} names are placeholders: a value's braces (a regex quantifier, JSON) stay.
    const f = new OptionError('{freeze} "^x{2}" matched {"a":1} and {Not} or {2,3}');
    assert.deepEqual(f.options, ['freeze']);
    assert.equal(OptionError.render(f.template, kebabFlag), '--freeze "^x{2}" matched {"a":1} and {Not} or {2,3}');
    // One line, as every UserError.
    assert.equal(new OptionError('{freeze} "x"\n   matches nothing').message, 'freeze "x" matches nothing');
  });

  it('kebabFlag is the default flag of an option', () => {
    assert.equal(kebabFlag('maxSeqLength'), '--max-seq-length');
    assert.equal(kebabFlag('beta1'), '--beta1');
    assert.equal(kebabFlag('spmModelFile'), '--spm-model-file');
    assert.equal(kebabFlag('opset'), '--opset');
  });

  it('a command renders an option with its optionFlags, else the kebab-case flag', () => {
    const e = new OptionError('{config} is missing; {maxSeqLength} and {maxPredictions} checked');
    const as = (command: { flagOf(option: string): string }): string => OptionError.render(e.template, (o) => command.flagOf(o));
    assert.equal(as(Compile), '--config is missing; --max-seq-length and --max-predictions-per-seq checked');
    assert.equal(as(Pretrain), '--config is missing; --max-seq-length and --max-predictions-per-seq checked');
    assert.equal(FinetuneGlue.flagOf('config'), '--config');
    assert.equal(FinetuneClassify.flagOf('config'), '--config');
    assert.equal(FinetuneGlue.flagOf('outDir'), '--export-dir');
    assert.equal(Export.flagOf('outDir'), '--output-dir');
    assert.equal(Export.flagOf('spmModelFile'), '--spm-model-file');
    assert.equal(PredictTextClassification.flagOf('k'), '--top-k');
    assert.equal(PredictFillMask.flagOf('k'), '--top-k');
    // Only a command's own entries count, not what every object inherits.
    assert.equal(Compile.flagOf('toString'), '--to-string');
  });

  it('every flag a command maps an option to is one of its flags', () => {
    for (const [id, command] of Object.entries(commands)) {
      for (const [option, flag] of Object.entries(command.optionFlags)) {
        assert.ok(flag.startsWith('--') && flag.slice(2) in command.flags, `${id}: optionFlags.${option} is ${flag}, not a flag of the command`);
      }
    }
  });
});

describe('library errors name no CLI flags', () => {
  it('no string in an Error(...) call outside src/commands holds a --flag', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file).split('\\').join('/');
      if (rel.startsWith('src/commands/') || rel in EXEMPT) continue;
      for (const literal of flagsInErrors(readFileSync(file, 'utf8'))) offenders.push(`${rel}: ${literal}`);
    }
    assert.deepEqual(offenders, [], 'use OptionError with {optionName} (commands render the flag), or say it without the flag');
  });

  it('the scanner finds flags in error strings and nothing else (guards the test itself)', () => {
    const src = [
      'throw new UserError(`--max-seq-length ${n} is too long`);',
      "throw new OptionError(`{head} ${h}${h === 'pretraining' ? ': use --head mlm' : ''}`);",
      'throw new UserError(fmt("a", (x) => `pass --config`));',
      "throw new UserError('a -- b, x--, {config}'); // not --flag",
      'const hint = `--top-k`; let i = 2; i--;',
    ].join('\n');
    assert.deepEqual(flagsInErrors(src), [
      '`--max-seq-length ${n} is too long`',
      "`{head} ${h}${h === 'pretraining' ? ': use --head mlm' : ''}`",
      '`pass --config`',
    ]);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/ir/errors.ts';
import { discoverLabels, readTable, tableExamples } from '../../src/tasks/classification/own-data.ts';
import type { TextExample } from '../../src/tasks/glue/readers.ts';

function file(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'albert-own-data-')), name);
  writeFileSync(path, content);
  return path;
}

function throwsUser(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.ok(!e.message.includes('\n'), `one line: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

function example(label: string | null): TextExample {
  return { guid: '0', id: '0', textA: 'x', textB: null, label, line: 1 };
}

describe('own data: CSV', () => {
  it('reads quoted fields with commas, quotes and newlines, with the right line numbers', () => {
    const path = file(
      'train.csv',
      [
        'text,label,source',
        '"Hello, world",pos,web',
        '"She said ""no"" twice",neg,book',
        '"first line',
        'second line, still the same field",pos,web',
        '',
        'plain text,neg,',
        '"ends the file, no newline",pos,x',
      ].join('\r\n'),
    );
    const t = readTable(path);
    assert.equal(t.file, path);
    assert.deepEqual(t.columns, ['text', 'label', 'source']);
    assert.deepEqual(t.rows.map((r) => r.line), [2, 3, 4, 7, 8]);
    assert.deepEqual(t.rows[0].values, { text: 'Hello, world', label: 'pos', source: 'web' });
    assert.deepEqual(t.rows[1].values, { text: 'She said "no" twice', label: 'neg', source: 'book' });
    assert.deepEqual(t.rows[2].values, { text: 'first line\r\nsecond line, still the same field', label: 'pos', source: 'web' });
    assert.deepEqual(t.rows[3].values, { text: 'plain text', label: 'neg', source: '' });

    const ex = tableExamples(t, { textColumn: 'text', labelColumn: 'label' });
    assert.deepEqual(ex[1], { guid: '1', id: '1', textA: 'She said "no" twice', textB: null, label: 'neg', line: 3 });
    assert.deepEqual(ex.map((e) => e.line), [2, 3, 4, 7, 8]);
    assert.deepEqual(ex.map((e) => e.id), ['0', '1', '2', '3', '4']);
  });

  it('pairs, a BOM, trimmed header names, \\n line endings', () => {
    const t = readTable(file('pairs.csv', '\ufeff premise , hypothesis,gold\n"a\nb",c,1\nd,"e,f",0\n'));
    assert.deepEqual(t.columns, ['premise', 'hypothesis', 'gold']);
    const ex = tableExamples(t, { textColumn: 'premise', textPairColumn: 'hypothesis', labelColumn: 'gold' });
    assert.deepEqual(ex, [
      { guid: '0', id: '0', textA: 'a\nb', textB: 'c', label: '1', line: 2 },
      { guid: '1', id: '1', textA: 'd', textB: 'e,f', label: '0', line: 4 },
    ]);
  });

  it('translates parse errors into one line with the file and line', () => {
    throwsUser(() => readTable(file('a.csv', 'text,label\ngood,1\n\nbad,0,extra\n')), /a\.csv:4: expected 2 comma-separated fields like the header, found 3/);
    throwsUser(() => readTable(file('b.csv', 'text,label\ngood,1\n"multi\nline",1,2\n')), /b\.csv:3: expected 2 comma-separated fields like the header, found 3/);
    throwsUser(() => readTable(file('c.csv', 'text,label\ngood,1\n"never closed,1\nmore,0\n')), /c\.csv:3: a quoted field that starts in this row is never closed/);
    throwsUser(() => readTable(file('d.csv', 'text,label\n"bad"x,1\n')), /d\.csv:2: a closing quote is followed by/);
    throwsUser(() => readTable(file('e.csv', 'text,label\nok,1\nsome "quoted" word,1\n')), /e\.csv:3: a quote inside an unquoted field/);
    throwsUser(() => readTable(file('f.csv', 'text,label\nonly one field\n')), /f\.csv:2: expected 2 comma-separated fields like the header, found 1/);
  });

  it('header errors: duplicate and empty names', () => {
    throwsUser(() => readTable(file('dup.csv', 'text,label,text\na,1,b\n')), /dup\.csv:1: column "text" appears twice in the header/);
    throwsUser(() => readTable(file('noname.csv', 'text,,label\na,b,1\n')), /noname\.csv:1: column 2 of the header has no name/);
  });
});

describe('own data: TSV', () => {
  it('splits on tabs with no quote processing', () => {
    const t = readTable(file('data.tsv', 'id\tsentence\tlabel\r\n7\t"quoted, with comma\t2\r\n\r\n8\tplain\t10\r\n'));
    assert.deepEqual(t.columns, ['id', 'sentence', 'label']);
    assert.deepEqual(t.rows, [
      { line: 2, values: { id: '7', sentence: '"quoted, with comma', label: '2' } },
      { line: 4, values: { id: '8', sentence: 'plain', label: '10' } },
    ]);
    const ex = tableExamples(t, { textColumn: 'sentence', labelColumn: 'label' });
    assert.deepEqual(ex.map((e) => [e.textA, e.label, e.line]), [['"quoted, with comma', '2', 2], ['plain', '10', 4]]);
  });

  it('a row with the wrong number of fields', () => {
    throwsUser(() => readTable(file('bad.tsv', 'sentence\tlabel\nok\t1\nmissing label\n')), /bad\.tsv:3: expected 2 tab-separated fields like the header, found 1/);
    throwsUser(() => readTable(file('dup.tsv', 'a\ta\n1\t2\n')), /dup\.tsv:1: column "a" appears twice/);
  });
});

describe('own data: JSON Lines', () => {
  it('one object per line; blank lines skipped; numeric labels become strings; extra fields ignored', () => {
    const path = file(
      'train.jsonl',
      [
        '{"text": "great, \\"really\\"\\nfilm", "label": 1, "meta": {"src": "x"}}',
        '',
        '{"text": "awful", "label": 0, "extra": [1, 2]}',
        '   ',
        '{"label": "2", "text": "meh", "pair": "second"}',
        '',
      ].join('\n'),
    );
    const t = readTable(path);
    assert.deepEqual(t.columns, ['text', 'label', 'meta', 'extra', 'pair']);
    assert.deepEqual(t.rows.map((r) => r.line), [1, 3, 5]);
    const ex = tableExamples(t, { textColumn: 'text', labelColumn: 'label' });
    assert.deepEqual(ex, [
      { guid: '0', id: '0', textA: 'great, "really"\nfilm', textB: null, label: '1', line: 1 },
      { guid: '1', id: '1', textA: 'awful', textB: null, label: '0', line: 3 },
      { guid: '2', id: '2', textA: 'meh', textB: null, label: '2', line: 5 },
    ]);
    // pair column present in only some rows
    throwsUser(() => tableExamples(t, { textColumn: 'text', textPairColumn: 'pair' }), /train\.jsonl:1: no "pair" field/);
    // an unlabelled file: no labelColumn
    assert.deepEqual(tableExamples(t, { textColumn: 'text' }).map((e) => e.label), [null, null, null]);
    // .json is read as JSON Lines too, booleans as labels
    const j = readTable(file('x.json', '{"t": "a", "y": true}\n{"t": "b", "y": false}\n'));
    assert.deepEqual(tableExamples(j, { textColumn: 't', labelColumn: 'y' }).map((e) => e.label), ['true', 'false']);
  });

  it('bad JSON, non-objects and non-string texts', () => {
    throwsUser(() => readTable(file('bad.jsonl', '{"text": "ok", "label": 1}\n{"text": "broken",\n')), /bad\.jsonl:2: invalid JSON \(/);
    throwsUser(() => readTable(file('arr.json', '[\n  {"text": "a"}\n]\n')), /arr\.json:1: invalid JSON .*not a JSON array/);
    throwsUser(() => readTable(file('list.jsonl', '{"text": "a"}\n["text", "b"]\n')), /list\.jsonl:2: expected a JSON object \(one example per line\), found an array/);
    throwsUser(() => readTable(file('num.jsonl', '42\n')), /num\.jsonl:1: expected a JSON object .*found a number/);
    const t = readTable(file('types.jsonl', '{"text": 5, "label": "a", "n": null, "o": {"x": 1}}\n'));
    throwsUser(() => tableExamples(t, { textColumn: 'text' }), /types\.jsonl:1: field "text" is a number, expected a string/);
    throwsUser(() => tableExamples(t, { textColumn: 'label', labelColumn: 'n' }), /types\.jsonl:1: field "n" is null/);
    throwsUser(() => tableExamples(t, { textColumn: 'label', labelColumn: 'o' }), /types\.jsonl:1: field "o" is an object, expected a string or a number/);
    throwsUser(() => readTable(file('blank.jsonl', '\n\n  \n')), /blank\.jsonl: empty file \(no JSON objects\)/);
  });
});

describe('own data: columns and files', () => {
  it('a missing column lists the columns', () => {
    const t = readTable(file('m.csv', 'sentence,label,source\na,1,x\n'));
    throwsUser(() => tableExamples(t, { textColumn: 'text', labelColumn: 'label' }), /m\.csv: no column "text" \(columns: sentence, label, source\)/);
    throwsUser(() => tableExamples(t, { textColumn: 'sentence', labelColumn: 'gold' }), /m\.csv: no column "gold" \(columns: sentence, label, source\)/);
  });

  it('an empty text or label field names the file, line and column', () => {
    const t = readTable(file('e.csv', 'text,label\ngood,1\n"",0\nfine,\n'));
    throwsUser(() => tableExamples(t, { textColumn: 'text', labelColumn: 'label' }), /e\.csv:3: empty "text" field/);
    const u = readTable(file('f.tsv', 'text\tlabel\ngood\t1\nfine\t \n'));
    throwsUser(() => tableExamples(u, { textColumn: 'text', labelColumn: 'label' }), /f\.tsv:3: empty "label" field/);
  });

  it('empty files, unknown extensions, missing files', () => {
    throwsUser(() => readTable(file('empty.csv', '')), /empty\.csv: empty file \(no header row\)/);
    throwsUser(() => readTable(file('header.csv', 'text,label\n')), /header\.csv: no rows after the header/);
    throwsUser(() => readTable(file('empty.tsv', '')), /empty\.tsv: empty file \(no header row\)/);
    throwsUser(() => readTable(file('header.tsv', 'text\tlabel\n\n')), /header\.tsv: no rows after the header/);
    throwsUser(() => readTable(file('empty.jsonl', '')), /empty\.jsonl: empty file/);
    throwsUser(() => readTable(file('data.xlsx', 'x')), /data\.xlsx: unknown extension "\.xlsx" \(expected \.csv, \.tsv, \.jsonl, \.ndjson or \.json\)/);
    throwsUser(() => readTable(join(tmpdir(), 'albert-no-such-dir', 'x.csv')), /x\.csv: no such file/);
  });
});

describe('own data: label discovery', () => {
  it('sorts numerically when every label is a number, else by string', () => {
    assert.deepEqual(discoverLabels([[example('10'), example('2'), example('1')], [example('2'), example('-1'), example('0.5')]]), ['-1', '0.5', '1', '2', '10']);
    assert.deepEqual(discoverLabels([[example('pos'), example('neg'), example('Neutral')], [example('neg'), example(null)]]), ['Neutral', 'neg', 'pos']);
    assert.deepEqual(discoverLabels([[example('10'), example('2'), example('b')]]), ['10', '2', 'b']);
    assert.deepEqual(discoverLabels([[example(null)], []]), []);
  });
});

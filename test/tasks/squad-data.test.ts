// The SQuAD JSON reader: v1.1 and v2.0 files for training and evaluation, the answers the
// original leaves out (answer_start not at the answer's text), and a one-line error naming the
// file and the JSON path for everything malformed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../src/util/errors.ts';
import { readSquadFile, type SquadReadOptions } from '../../src/tasks/squad/data.ts';

const dir = mkdtempSync(join(tmpdir(), 'albert-squad-data-'));
let n = 0;
function write(doc: unknown, name = `f${n++}.json`): string {
  const path = join(dir, name);
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

const CONTEXT = 'Zürich is in Switzerland. It has 400,000 people.';

const V1 = {
  version: '1.1',
  data: [
    {
      title: 'Zürich',
      paragraphs: [
        {
          context: CONTEXT,
          qas: [
            { id: 'q1', question: 'Where is Zürich?', answers: [{ text: 'Switzerland', answer_start: 13 }] },
            {
              id: 'q2',
              question: 'How many people?',
              answers: [
                { text: '400,000', answer_start: 33 },
                { text: '400,000 people', answer_start: 33 },
              ],
            },
          ],
        },
      ],
    },
  ],
};

function errorOf(doc: unknown, opts: SquadReadOptions = { training: false }, name?: string): string {
  const path = write(doc, name);
  try {
    readSquadFile(path, opts);
  } catch (e) {
    assert.ok(e instanceof UserError, `not a UserError: ${(e as Error).stack}`);
    assert.ok(!e.message.includes('\n'), 'one line');
    return e.message.slice(path.length + 2);
  }
  assert.fail('no error');
}

describe('readSquadFile', () => {
  it('reads a v1.1 evaluation file with all its answers', () => {
    const { examples, skipped } = readSquadFile(write(V1), { training: false, version: '1.1' });
    assert.deepEqual(skipped, []);
    assert.equal(examples.length, 2);
    assert.deepEqual(examples[0], { id: 'q1', question: 'Where is Zürich?', context: CONTEXT, answers: [{ text: 'Switzerland', start: 13 }], isImpossible: false });
    assert.equal(examples[1].answers.length, 2);
    for (const a of examples[1].answers) assert.equal(CONTEXT.slice(a.start, a.start + a.text.length), a.text);
  });

  it('training needs exactly one answer per answerable question, as the original', () => {
    assert.equal(errorOf(V1, { training: true }), 'data[0].paragraphs[0].qas[1].answers: for training, each question should have exactly 1 answer, found 2');
    const ok = structuredClone(V1);
    ok.data[0].paragraphs[0].qas[1].answers.pop();
    const { examples } = readSquadFile(write(ok), { training: true });
    assert.deepEqual(examples.map((e) => e.answers.length), [1, 1]);
  });

  it('reads v2.0 unanswerable questions; for training their answers are not read', () => {
    const v2 = {
      version: 'v2.0',
      data: [
        {
          paragraphs: [
            {
              context: CONTEXT,
              qas: [
                { id: 'a', question: 'Where?', answers: [{ text: 'Switzerland', answer_start: 13 }], is_impossible: false },
                { id: 'b', question: 'Who founded it?', answers: [], plausible_answers: [{ text: 'It', answer_start: 26 }], is_impossible: true },
              ],
            },
          ],
        },
      ],
    };
    for (const training of [true, false]) {
      const { examples } = readSquadFile(write(v2), { training, version: '2.0' });
      assert.deepEqual(examples.map((e) => [e.id, e.isImpossible, e.answers.length]), [['a', false, 1], ['b', true, 0]]);
    }
    assert.equal(errorOf(v2, { training: false, version: '1.1' }), 'data[0].paragraphs[0].qas[1].is_impossible: SQuAD 1.1 has no unanswerable questions (read the file as version 2.0)');
  });

  it('answer_start counts code points, as Python does; start is a UTF-16 offset', () => {
    const context = 'Emoji 😀 then 𝔘 and the answer here.';
    // Python's context.find: 2 characters fewer than JavaScript's indexOf before it (two surrogate pairs).
    const answerStart = context.indexOf('answer') - 2;
    assert.equal(Array.from(context).slice(answerStart, answerStart + 6).join(''), 'answer');
    const doc = { data: [{ paragraphs: [{ context, qas: [{ id: 'x', question: 'q', answers: [{ text: 'answer', answer_start: answerStart }] }] }] }] };
    const { examples, skipped } = readSquadFile(write(doc), { training: true });
    assert.deepEqual(skipped, []);
    const a = examples[0].answers[0];
    assert.equal(context.slice(a.start, a.start + a.text.length), 'answer');
    assert.equal(a.start, context.indexOf('answer'));
  });

  it('skips a training answer whose answer_start misses its text, and reports it; evaluation keeps it', () => {
    const doc = structuredClone(V1);
    doc.data[0].paragraphs[0].qas[1].answers = [{ text: '400,000', answer_start: 30 }];
    const { examples, skipped } = readSquadFile(write(doc), { training: true });
    assert.deepEqual(examples.map((e) => e.id), ['q1']);
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0].id, 'q2');
    assert.match(skipped[0].reason, /^data\[0\]\.paragraphs\[0\]\.qas\[1\]: answer_start 30 points at "as 400,", not the answer "400,000"$/);
    assert.equal(readSquadFile(write(doc), { training: false }).examples.length, 2);
    // Whitespace runs are compared collapsed (the original compares whitespace-split words).
    const spaced = { data: [{ paragraphs: [{ context: 'a  b\tc', qas: [{ id: 's', question: 'q', answers: [{ text: 'a b c', answer_start: 0 }] }] }] }] };
    assert.equal(readSquadFile(write(spaced), { training: true }).skipped.length, 1, 'different lengths: the span does not reach c');
    const spaced2 = { data: [{ paragraphs: [{ context: 'a  b\tc', qas: [{ id: 's', question: 'q', answers: [{ text: 'a b\nc', answer_start: 0 }] }] }] }] };
    assert.equal(readSquadFile(write(spaced2), { training: true }).skipped.length, 1);
    const spaced3 = { data: [{ paragraphs: [{ context: 'x a \tb y', qas: [{ id: 's', question: 'q', answers: [{ text: 'a  b', answer_start: 2 }] }] }] }] };
    assert.deepEqual(readSquadFile(write(spaced3), { training: true }).skipped, []);
  });

  it('gives one-line errors naming the file and the JSON path', () => {
    const para = (qa: unknown, context: unknown = CONTEXT): unknown => ({ data: [{ paragraphs: [{ context, qas: [qa] }] }] });
    const cases: [unknown, string][] = [
      ['{"data": [', 'not valid JSON'],
      [[1, 2], 'the document: expected an object with "data", found an array'],
      [{ version: '1.1' }, 'the document: missing "data"'],
      [{ data: {} }, 'data: expected an array, found an object'],
      [{ data: [1] }, 'data[0]: expected an object, found a number'],
      [{ data: [{}] }, 'data[0]: missing "paragraphs"'],
      [{ data: [{ paragraphs: [{ qas: [] }] }] }, 'data[0].paragraphs[0]: missing "context"'],
      [{ data: [{ paragraphs: [{ context: 3, qas: [] }] }] }, 'data[0].paragraphs[0].context: expected a string, found a number'],
      [{ data: [{ paragraphs: [{ context: ' \n\t ', qas: [] }] }] }, 'data[0].paragraphs[0].context: empty context'],
      [{ data: [{ paragraphs: [{ context: 'x' }] }] }, 'data[0].paragraphs[0]: missing "qas"'],
      [para({ question: 'q', answers: [] }), 'data[0].paragraphs[0].qas[0]: missing "id"'],
      [para({ id: 7, question: 'q', answers: [] }), 'data[0].paragraphs[0].qas[0].id: expected a string, found a number'],
      [para({ id: 'a', answers: [] }), 'data[0].paragraphs[0].qas[0]: missing "question"'],
      [para({ id: 'a', question: 'q' }), 'data[0].paragraphs[0].qas[0]: missing "answers"'],
      [para({ id: 'a', question: 'q', answers: [], is_impossible: 'yes' }), 'data[0].paragraphs[0].qas[0].is_impossible: expected true or false, found a string'],
      [para({ id: 'a', question: 'q', answers: [{ answer_start: 0 }] }), 'data[0].paragraphs[0].qas[0].answers[0]: missing "text"'],
      [para({ id: 'a', question: 'q', answers: [{ text: 'Z' }] }), 'data[0].paragraphs[0].qas[0].answers[0]: missing "answer_start"'],
      [para({ id: 'a', question: 'q', answers: [{ text: 'Z', answer_start: -1 }] }), 'data[0].paragraphs[0].qas[0].answers[0].answer_start: -1 is not a character offset'],
      [para({ id: 'a', question: 'q', answers: [{ text: 'Z', answer_start: 1.5 }] }), 'answer_start: 1.5 is not a character offset'],
      [para({ id: 'a', question: 'q', answers: [{ text: 'Z', answer_start: '0' }] }), 'answer_start: "0" is not a character offset'],
      [para({ id: 'a', question: 'q', answers: [{ text: 'people.', answer_start: 42 }] }), 'answer_start: 42 is not a character offset where the 7-character answer fits in the 48-character context'],
      [
        { data: [{ paragraphs: [{ context: 'x', qas: [{ id: 'a', question: 'q', answers: [] }, { id: 'a', question: 'q', answers: [] }] }] }] },
        'data[0].paragraphs[0].qas[1].id: duplicate id "a" (also at data[0].paragraphs[0].qas[0])',
      ],
    ];
    for (const [doc, expected] of cases) {
      const message = errorOf(doc);
      assert.ok(expected.startsWith('answer_start') ? message.includes(expected) : message.startsWith(expected), `${JSON.stringify(message)} should hold ${JSON.stringify(expected)}`);
    }
    // The file is named as given.
    const path = write(V1, 'dev.json');
    assert.throws(() => readSquadFile(join(dir, 'missing.json'), { training: false }), { message: `${join(dir, 'missing.json')}: no such file` });
    assert.throws(() => readSquadFile(dir, { training: false }), { message: `${dir}: is a directory, not a SQuAD JSON file` });
    const bad = structuredClone(V1) as { data: { paragraphs: { qas: Record<string, unknown>[] }[] }[] };
    delete bad.data[0].paragraphs[0].qas[1].id;
    writeFileSync(path, JSON.stringify(bad));
    assert.throws(() => readSquadFile(path, { training: false }), { message: `${path}: data[0].paragraphs[0].qas[1]: missing "id"` });
  });

  it('reads a file with a byte-order mark', () => {
    const { examples } = readSquadFile(write(`\ufeff${JSON.stringify(V1)}`), { training: false });
    assert.equal(examples.length, 2);
  });
});

// The explicit command list oclif loads (package.json "oclif.commands"). Command modules import
// the library lazily inside run(), so loading this list (and --help) stays fast.
import Compile from './compile.ts';
import Convert from './convert.ts';
import CreatePretrainingData from './create-pretraining-data.ts';
import Doctor from './doctor.ts';
import EvaluateGlue from './evaluate/glue.ts';
import EvaluateSquad from './evaluate/squad.ts';
import Export from './export.ts';
import FinetuneClassify from './finetune/classify.ts';
import FinetuneGlue from './finetune/glue.ts';
import FinetuneMultipleChoice from './finetune/multiple-choice.ts';
import FinetuneRace from './finetune/race.ts';
import FinetuneSquad from './finetune/squad.ts';
import Help from './help.ts';
import Inspect from './inspect.ts';
import PredictFillMask from './predict/fill-mask.ts';
import PredictMultipleChoice from './predict/multiple-choice.ts';
import PredictQuestionAnswering from './predict/question-answering.ts';
import PredictTextClassification from './predict/text-classification.ts';
import Pretrain from './pretrain.ts';
import Quickstart from './quickstart.ts';
import Run from './run.ts';
import SetupCuda from './setup/cuda.ts';
import Tokenize from './tokenize.ts';
import TrainTokenizer from './train-tokenizer.ts';
import Version from './version.ts';

export const commands = {
  compile: Compile,
  convert: Convert,
  'create-pretraining-data': CreatePretrainingData,
  doctor: Doctor,
  'evaluate:glue': EvaluateGlue,
  'evaluate:squad': EvaluateSquad,
  export: Export,
  'finetune:classify': FinetuneClassify,
  'finetune:glue': FinetuneGlue,
  'finetune:multiple-choice': FinetuneMultipleChoice,
  'finetune:race': FinetuneRace,
  'finetune:squad': FinetuneSquad,
  help: Help,
  inspect: Inspect,
  'predict:fill-mask': PredictFillMask,
  'predict:multiple-choice': PredictMultipleChoice,
  'predict:question-answering': PredictQuestionAnswering,
  'predict:text-classification': PredictTextClassification,
  pretrain: Pretrain,
  quickstart: Quickstart,
  run: Run,
  'setup:cuda': SetupCuda,
  tokenize: Tokenize,
  'train-tokenizer': TrainTokenizer,
  version: Version,
};

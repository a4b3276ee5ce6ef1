// Every ONNX lowering, imported once for its registration (one file per module of src/ir/ops).
import './constant.ts';
import './elementwise.ts';
import './reduce.ts';
import './shape-ops.ts';
import './iota.ts';
import './one-hot.ts';
import './random.ts';
import './matmul.ts';
import './indexing.ts';
import './einsum.ts';
import './top-k.ts';
import './softmax.ts';
import './layer-norm.ts';
import './gelu.ts';
import './attention.ts';

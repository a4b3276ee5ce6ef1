import onnxProto from 'onnx-proto';

/** The generated ONNX protobuf classes (onnx-proto ships them as a CommonJS namespace). */
export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;

/**
 * Writes ONNX models (ModelProto) straight in the protobuf wire format, with no dependency: enough of
 * onnx.proto for graphs of standard operators with tensor inputs and outputs, float and int64
 * initializers, scalar and list attributes, and the model's metadata. The output is deterministic:
 * the same model spec gives the same bytes.
 *
 * Field numbers are those of onnx/onnx.proto (IR version 8):
 *   ModelProto       ir_version=1 producer_name=2 producer_version=3 domain=4 model_version=5
 *                    doc_string=6 graph=7 opset_import=8 metadata_props=14
 *   OperatorSetId    domain=1 version=2
 *   StringStringEntry key=1 value=2
 *   GraphProto       node=1 name=2 initializer=5 doc_string=10 input=11 output=12
 *   NodeProto        input=1 output=2 name=3 op_type=4 attribute=5 doc_string=6 domain=7
 *   AttributeProto   name=1 f=2 i=3 s=4 t=5 floats=7 ints=8 strings=9 type=20
 *   TensorProto      dims=1 data_type=2 name=8 raw_data=9 doc_string=12
 *   ValueInfoProto   name=1 type=2 doc_string=3
 *   TypeProto        tensor_type=1; TypeProto.Tensor elem_type=1 shape=2
 *   TensorShapeProto dim=1; Dimension dim_value=1 dim_param=2
 */

/** TensorProto.DataType values of the element types these models use. */
export const ONNX_ELEM_TYPE = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, string: 8, bool: 9, double: 11 } as const;
export type OnnxElemType = keyof typeof ONNX_ELEM_TYPE;

/** A graph input or output: a tensor with a shape whose dimensions are sizes or symbolic names ("N"). */
export interface ValueInfoSpec {
  name: string;
  elemType: OnnxElemType;
  shape: (number | string)[];
  docString?: string;
}

/** A constant tensor stored in the model (weights, means, indices, thresholds). */
export type TensorSpec =
  | { name: string; elemType: 'float'; dims: number[]; values: ArrayLike<number> }
  | { name: string; elemType: 'int64'; dims: number[]; values: ArrayLike<number | bigint> };

/** An attribute value, tagged with its type (AttributeProto.type). */
export type AttributeValue =
  | { int: number | bigint }
  | { float: number }
  | { string: string }
  | { ints: (number | bigint)[] }
  | { floats: number[] }
  | { strings: string[] }
  | { tensor: TensorSpec };

export interface NodeSpec {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, AttributeValue>;
  docString?: string;
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  inputs: ValueInfoSpec[];
  outputs: ValueInfoSpec[];
  initializers?: TensorSpec[];
  docString?: string;
}

export interface ModelSpec {
  graph: GraphSpec;
  /** Default 8 (ONNX 1.10 and later; what ONNX Runtime 1.10+ reads). */
  irVersion?: number;
  /** Version of the default ("ai.onnx") operator set. Default 17. */
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  /** Key/value pairs stored as metadata_props, in the given order. */
  metadata?: Record<string, string>;
}

export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;
export const PRODUCER_NAME = 'mlops-workbench';

// ---- protobuf wire format ------------------------------------------------------------------------

const WIRE_VARINT = 0;
const WIRE_FIXED32 = 5;
const WIRE_LENGTH_DELIMITED = 2;

/** Appends protobuf fields to a growing byte list. */
class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }

  private key(field: number, wire: number): void {
    this.push(encodeVarint((field << 3) | wire));
  }

  /** int32/int64/uint64/enum/bool as a varint; negative values take ten bytes, as protobuf's int64 does. */
  varint(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, WIRE_FIXED32);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, WIRE_LENGTH_DELIMITED);
    this.push(encodeVarint(data.length));
    this.push(data);
    return this;
  }

  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}

/** Base-128 varint of a 64-bit integer; negative numbers are written as their two's complement. */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

// ---- ONNX messages -------------------------------------------------------------------------------

const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

function tensorRawData(tensor: TensorSpec): Uint8Array {
  const count = tensor.dims.reduce((a, b) => a * b, 1);
  if (tensor.values.length !== count) {
    throw new RangeError(`initializer "${tensor.name}" has ${tensor.values.length} values for dims [${tensor.dims.join(', ')}] (${count})`);
  }
  // raw_data is little-endian whatever the machine, as ONNX specifies.
  if (tensor.elemType === 'float') {
    const bytes = new Uint8Array(count * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) view.setFloat32(i * 4, Number(tensor.values[i]), true);
    return bytes;
  }
  const bytes = new Uint8Array(count * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) view.setBigInt64(i * 8, BigInt(tensor.values[i]), true);
  return bytes;
}

function writeTensor(w: ProtoWriter, tensor: TensorSpec): void {
  for (const d of tensor.dims) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`initializer "${tensor.name}" has a bad dimension ${d}`);
    w.varint(1, d);
  }
  w.varint(2, ONNX_ELEM_TYPE[tensor.elemType]);
  w.string(8, tensor.name);
  w.bytes(9, tensorRawData(tensor));
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if ('int' in value) w.varint(3, value.int).varint(20, ATTRIBUTE_TYPE.INT);
  else if ('float' in value) w.float(2, value.float).varint(20, ATTRIBUTE_TYPE.FLOAT);
  else if ('string' in value) w.string(4, value.string).varint(20, ATTRIBUTE_TYPE.STRING);
  else if ('tensor' in value) w.message(5, (t) => writeTensor(t, value.tensor)).varint(20, ATTRIBUTE_TYPE.TENSOR);
  else if ('ints' in value) {
    for (const v of value.ints) w.varint(8, v);
    w.varint(20, ATTRIBUTE_TYPE.INTS);
  } else if ('floats' in value) {
    for (const v of value.floats) w.float(7, v);
    w.varint(20, ATTRIBUTE_TYPE.FLOATS);
  } else {
    for (const v of value.strings) w.string(9, v);
    w.varint(20, ATTRIBUTE_TYPE.STRINGS);
  }
}

function writeNode(w: ProtoWriter, node: NodeSpec): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  if (node.name !== undefined) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) w.message(5, (a) => writeAttribute(a, name, value));
  if (node.docString !== undefined) w.string(6, node.docString);
  if (node.domain !== undefined) w.string(7, node.domain);
}

function writeValueInfo(w: ProtoWriter, info: ValueInfoSpec): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.varint(1, ONNX_ELEM_TYPE[info.elemType]);
      tensor.message(2, (shape) => {
        for (const d of info.shape) {
          shape.message(1, (dim) => {
            if (typeof d === 'number') dim.varint(1, d);
            else dim.string(2, d);
          });
        }
      });
    }),
  );
  if (info.docString !== undefined) w.string(3, info.docString);
}

function writeGraph(w: ProtoWriter, graph: GraphSpec): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name);
  for (const init of graph.initializers ?? []) w.message(5, (t) => writeTensor(t, init));
  if (graph.docString !== undefined) w.string(10, graph.docString);
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

/**
 * Checks what ONNX Runtime would otherwise report less clearly: every node input is a graph input, an
 * initializer or an earlier node's output (nodes must be in topological order), names are defined
 * once, and every graph output is produced.
 */
function checkGraph(graph: GraphSpec): void {
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (defined.has(name)) throw new Error(`graph "${graph.name}": ${what} "${name}" is defined twice`);
    defined.add(name);
  };
  for (const input of graph.inputs) define(input.name, 'input');
  for (const init of graph.initializers ?? []) define(init.name, 'initializer');
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input !== '' && !defined.has(input)) throw new Error(`graph "${graph.name}": ${node.opType} reads "${input}", which nothing defines before it`);
    }
    for (const output of node.outputs) define(output, `${node.opType} output`);
  }
  for (const output of graph.outputs) {
    if (!defined.has(output.name)) throw new Error(`graph "${graph.name}": output "${output.name}" is not produced`);
  }
}

/** The bytes of an ONNX model file. */
export function encodeOnnxModel(spec: ModelSpec): Uint8Array {
  checkGraph(spec.graph);
  const w = new ProtoWriter();
  w.varint(1, spec.irVersion ?? DEFAULT_IR_VERSION);
  w.string(2, spec.producerName ?? PRODUCER_NAME);
  if (spec.producerVersion !== undefined) w.string(3, spec.producerVersion);
  if (spec.domain !== undefined) w.string(4, spec.domain);
  if (spec.modelVersion !== undefined) w.varint(5, spec.modelVersion);
  if (spec.docString !== undefined) w.string(6, spec.docString);
  w.message(7, (g) => writeGraph(g, spec.graph));
  w.message(8, (o) => o.string(1, '').varint(2, spec.opset ?? DEFAULT_OPSET));
  for (const [key, value] of Object.entries(spec.metadata ?? {})) w.message(14, (e) => e.string(1, key).string(2, value));
  return w.finish();
}

// ---- logistic regression -------------------------------------------------------------------------

/** A binary logistic regression over standardized features, as trained by the churn example. */
export interface LogisticRegressionExport {
  /** Width of the `features` input: the whole encoded feature vector, shared by every version. */
  inputWidth: number;
  /** Columns of the input the model reads, in the order of `weights`; all of them when absent. */
  columns?: number[];
  /** Training-set mean and standard deviation of each used column. */
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  /** Probability above which `label` is 1. Default 0.5. */
  threshold?: number;
  /** Graph name. */
  name?: string;
  docString?: string;
  metadata?: Record<string, string>;
  modelVersion?: number;
  producerVersion?: string;
}

/** Names of the graph's input and outputs. */
export const LOGREG_INPUT = 'features';
export const LOGREG_PROBABILITY = 'probability';
export const LOGREG_LABEL = 'label';

/**
 * The ONNX graph of a logistic regression with its standardization:
 *   features [N, k] float32 → (Gather columns on axis 1) → Sub(mean) → Div(std) → MatMul(W) → Add(b)
 *   → logit → 1 / (1 + exp(−logit)) → probability [N, 1] float32;
 *   Greater(probability, threshold) → Cast → label [N, 1] int64.
 * The logistic function is spelled Neg → Exp → Add(1) → Reciprocal rather than Sigmoid: ONNX Runtime's
 * Sigmoid kernel is a fast approximation good to about 1e-7 absolute, which is 1e-4 relative for a
 * probability of 0.001, while its Exp keeps about 1e-7 relative over the whole range (exp(−logit)
 * overflows to infinity for very negative logits, and the probability correctly becomes 0).
 * Opset 17 (ONNX Runtime 1.13 and later).
 */
export function logisticRegressionModel(model: LogisticRegressionExport): ModelSpec {
  const used = model.columns ?? Array.from({ length: model.inputWidth }, (_, i) => i);
  const m = used.length;
  if (model.mean.length !== m || model.std.length !== m || model.weights.length !== m) {
    throw new RangeError(`logistic regression over ${m} columns needs ${m} means, standard deviations and weights`);
  }
  for (const c of used) {
    if (!Number.isInteger(c) || c < 0 || c >= model.inputWidth) throw new RangeError(`column ${c} is outside the input's ${model.inputWidth} columns`);
  }
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  let x = LOGREG_INPUT;
  const selectsColumns = model.columns !== undefined && !(m === model.inputWidth && used.every((c, i) => c === i));
  if (selectsColumns) {
    initializers.push({ name: 'columns', elemType: 'int64', dims: [m], values: used });
    nodes.push({ opType: 'Gather', name: 'select_columns', inputs: [x, 'columns'], outputs: ['selected'], attributes: { axis: { int: 1 } } });
    x = 'selected';
  }
  initializers.push(
    { name: 'mean', elemType: 'float', dims: [m], values: model.mean },
    { name: 'std', elemType: 'float', dims: [m], values: model.std },
    { name: 'weights', elemType: 'float', dims: [m, 1], values: model.weights },
    { name: 'bias', elemType: 'float', dims: [1], values: [model.bias] },
    { name: 'one', elemType: 'float', dims: [], values: [1] },
    { name: 'threshold', elemType: 'float', dims: [], values: [model.threshold ?? 0.5] },
  );
  nodes.push(
    { opType: 'Sub', name: 'center', inputs: [x, 'mean'], outputs: ['centered'] },
    { opType: 'Div', name: 'scale', inputs: ['centered', 'std'], outputs: ['standardized'] },
    { opType: 'MatMul', name: 'linear', inputs: ['standardized', 'weights'], outputs: ['product'] },
    { opType: 'Add', name: 'intercept', inputs: ['product', 'bias'], outputs: ['logit'] },
    { opType: 'Neg', name: 'negate', inputs: ['logit'], outputs: ['negated'] },
    { opType: 'Exp', name: 'exp', inputs: ['negated'], outputs: ['odds_against'] },
    { opType: 'Add', name: 'one_plus', inputs: ['odds_against', 'one'], outputs: ['denominator'] },
    { opType: 'Reciprocal', name: 'logistic', inputs: ['denominator'], outputs: [LOGREG_PROBABILITY] },
    { opType: 'Greater', name: 'decide', inputs: [LOGREG_PROBABILITY, 'threshold'], outputs: ['positive'] },
    { opType: 'Cast', name: 'to_label', inputs: ['positive'], outputs: [LOGREG_LABEL], attributes: { to: { int: ONNX_ELEM_TYPE.int64 } } },
  );
  return {
    graph: {
      name: model.name ?? 'logistic_regression',
      nodes,
      initializers,
      inputs: [{ name: LOGREG_INPUT, elemType: 'float', shape: ['N', model.inputWidth] }],
      outputs: [
        { name: LOGREG_PROBABILITY, elemType: 'float', shape: ['N', 1] },
        { name: LOGREG_LABEL, elemType: 'int64', shape: ['N', 1] },
      ],
      docString: model.docString,
    },
    opset: DEFAULT_OPSET,
    producerVersion: model.producerVersion,
    modelVersion: model.modelVersion,
    docString: model.docString,
    metadata: model.metadata,
  };
}

/**
 * A small convolutional network for MNIST-sized images (FP32 [N, 1, 28, 28]), written with the
 * product's ONNX writer, for the serving benchmark: compute-bound where the churn model is not. Two
 * 3×3 convolutions (64 channels each, each followed by ReLU and 2×2 max pooling: 28 → 14 → 7), then a
 * dense head 3136 → 128 → 10 with ReLU, Softmax probabilities and the ArgMax label — the usual shape
 * of a digit classifier, 1.7 MB of weights, 130–140 µs per single-image session.run on one core here. The weights are seeded random numbers scaled as He
 * initialisation would scale them: the benchmark measures speed, not accuracy.
 */
import { encodeOnnxModel, type NodeSpec, type TensorSpec } from '../../server/src/onnx/export';
import { seededRandom } from '../../server/src/util/random';

export const CNN_INPUT = 'image';
export const CNN_OUTPUTS = ['probabilities', 'label'] as const;
export const CNN_ROW = 28 * 28;

export function cnnModel(seed = 1, c1 = 64, c2 = 64, hidden = [128]): Uint8Array {
  const random = seededRandom(seed);
  const weights = (name: string, dims: number[], fanIn: number): TensorSpec => {
    const values = new Float32Array(dims.reduce((a, b) => a * b, 1));
    const scale = Math.sqrt(6 / fanIn);
    for (let i = 0; i < values.length; i++) values[i] = (random() * 2 - 1) * scale;
    return { name, elemType: 'float', dims, values };
  };
  const bias = (name: string, n: number): TensorSpec => ({ name, elemType: 'float', dims: [n], values: new Float32Array(n).fill(0.01) });
  const conv = (i: number, input: string): NodeSpec[] => [
    { opType: 'Conv', inputs: [input, `conv${i}.w`, `conv${i}.b`], outputs: [`conv${i}`], attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } } },
    { opType: 'Relu', inputs: [`conv${i}`], outputs: [`relu${i}`] },
    { opType: 'MaxPool', inputs: [`relu${i}`], outputs: [`pool${i}`], attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } } },
  ];
  const dense = (i: number, input: string, relu: boolean): NodeSpec[] => [
    { opType: 'Gemm', inputs: [input, `fc${i}.w`, `fc${i}.b`], outputs: [`fc${i}`], attributes: { transB: { int: 1 } } },
    ...(relu ? [{ opType: 'Relu', inputs: [`fc${i}`], outputs: [`fc${i}.relu`] }] : []),
  ];
  const sizes = [c2 * 49, ...hidden, 10];
  const layers: [number, number][] = sizes.slice(1).map((to, i) => [sizes[i], to]);
  return encodeOnnxModel({
    opset: 17,
    graph: {
      name: 'mnist-cnn',
      inputs: [{ name: CNN_INPUT, elemType: 'float', shape: ['N', 1, 28, 28] }],
      outputs: [
        { name: 'probabilities', elemType: 'float', shape: ['N', 10] },
        { name: 'label', elemType: 'int64', shape: ['N'] },
      ],
      initializers: [
        weights('conv1.w', [c1, 1, 3, 3], 9),
        bias('conv1.b', c1),
        weights('conv2.w', [c2, c1, 3, 3], 9 * c1),
        bias('conv2.b', c2),
        ...layers.flatMap(([from, to], i) => [weights(`fc${i + 1}.w`, [to, from], from), bias(`fc${i + 1}.b`, to)]),
      ],
      nodes: [
        ...conv(1, CNN_INPUT),
        ...conv(2, 'pool1'),
        { opType: 'Flatten', inputs: ['pool2'], outputs: ['flat'] },
        ...layers.flatMap((_, i) => dense(i + 1, i === 0 ? 'flat' : `fc${i}.relu`, i < layers.length - 1)),
        { opType: 'Softmax', inputs: [`fc${layers.length}`], outputs: ['probabilities'], attributes: { axis: { int: 1 } } },
        { opType: 'ArgMax', inputs: [`fc${layers.length}`], outputs: ['label'], attributes: { axis: { int: 1 }, keepdims: { int: 0 } } },
      ],
    },
  });
}

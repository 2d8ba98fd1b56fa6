/**
 * A network as a stack of Keras layers, the way tfjs-layers (= Keras) would build it. An architecture that can
 * say this (`ArchitecturePlugin.layers`) is exported as a real tfjs Layers model (topology + weights), which
 * `tf.loadLayersModel()` opens without igpg. Weights are named by their canonical (PyTorch) names; the tensors
 * are already in tfjs layout (dense kernel [in, out], conv kernel [kh, kw, in, out]), which is Keras's.
 */
export type KerasActivation = 'linear' | 'tanh' | 'relu' | 'sigmoid' | 'gelu'; // tfjs-layers' 'gelu' is the exact erf form

export type KerasLayer =
  | { type: 'dense'; name: string; units: number; activation: KerasActivation; kernel: string; bias: string }
  | { type: 'conv2d'; name: string; filters: number; kernelSize: number; activation: KerasActivation; kernel: string; bias: string }
  | { type: 'maxPooling2d' | 'averagePooling2d'; name: string; poolSize: number } // stride = pool size, valid padding
  | { type: 'flatten'; name: string } // NHWC order (h, w, c), as tfjs flattens
  | { type: 'activation'; name: string; activation: KerasActivation };

// @igpg/architectures: the built-in architecture plugins.
import { plugins } from './builtin';

export { mlp, type MlpSpec } from './mlp';
export { cnnS, cnnL, type ZooCnnSpec } from './cnn';
export { resnet, type ResnetSpec } from './resnet';
export { vit, type VitSpec } from './vit';
export { plugins, registerBuiltinArchitectures } from './builtin';
export { ACTIVATIONS, type Activation, type Init, type Planned, buildNetwork, describePlan, weightAndBias, dense, conv, layerNorm, activate } from './layers';
export default plugins;

// @igpg/core public API. Each engineer appends the exports of their modules below.
export type { ParamInfo, ParamRole, Network } from './sdk/types';
export { createRng, type Rng } from './rng';
export { ajv, validate, formatAjvErrors, ValidationError } from './util/config';
export { writeFileAtomic, writeJsonAtomic, readFileVerified, readJson, sha256, FileIntegrityError } from './io/atomic';
export { createProgress, type Progress, type ProgressOptions } from './util/progress';
export { metricsLog, readJsonl } from './util/jsonl';
export { makeTask, taskId, taskFromId, splitTaskId, classSlug, resolveClasses, instructionTexts, registerTaskPhrasing, type Task, type TaskDatasetInfo, type TaskPhrasing } from './zoo/task';
export { defineArchitecture, registerArchitecture, getArchitecture, listArchitectures, unregisterArchitecture, hasArchitecture, validateSpec, countParams, type ArchitecturePlugin, type AnyArchitecture, type BaseSpec } from './sdk/architecture';
export { defineDataset, registerDataset, getDataset, listDatasets, unregisterDataset, hasDataset, type DatasetPlugin, type DatasetLoadOptions, type DatasetSplit } from './sdk/dataset';
export { flattenWeights, unflattenWeights, assignWeights, weightRecord, flattenRecord, networkWeights, type WeightEntry, type NetworkWeights } from './sdk/weights';
export { layoutShape, toLayout, fromLayout, type WeightLayout } from './sdk/layout';
export { sharedRegistry, type Registry } from './sdk/registry';
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors, saveNetworkSafetensors, loadNetworkSafetensors, SafetensorsError, type SafeTensor, type SafeDtype, type SafetensorsReadOptions, type SafetensorsExportOptions } from './io/safetensors';
export { saveTfjsWeights, loadTfjsWeights, type TfjsModelJson } from './io/tfjs-format';
export { buildZoo, type BuildZooOptions, type BuildZooResult } from './zoo/build';
export { resolveZooConfig, zooConfigSchema, stableHash, type ZooConfig, type ZooJob, type ZooTaskRef, type ZooArchitectureRef } from './zoo/config';
export { evaluateNetwork, type Evaluation, type EvalSource } from './zoo/evaluate';
export { readManifest, readEntries, writeManifest, zooEntrySchema, type ZooEntry, type ZooManifest } from './zoo/manifest';
export { trainJob, type Checkpoint } from './zoo/train';
export { loadPlugins } from './zoo/plugins';
export {
  saveCheckpoint, loadCheckpoint, readCheckpointMeta, configDiff, CheckpointMismatchError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION,
  type CheckpointMeta, type CheckpointState, type LoadCheckpointOptions,
} from './train/checkpoint';
export { runTrainingLoop, type TrainingLoopOptions, type TrainingLoopResult } from './train/loop';
export { createTokenizer, fitTokenizer, tokenizerFromJSON, encodeLayout, fanIns, tensorKey, tokenizerConfigSchema, TOKENIZER_FORMAT, TOKENIZER_VERSION, type Tokenizer, type TokenizerConfig, type TokenizerJSON, type ChunkPosition, type ChunkLayout, type Chunks, type TensorStats } from './tokenizer';
export { initBackend, shutdownBackend, currentBackend, availableBackends, BACKEND_NAMES, type BackendName, type BackendInfo, type InitBackendOptions } from './backend/init';
export { cpuFeatures, type CpuFeatures } from './backend/cpu_features';
export { loadNative, nativeAddonPath, type NativeAddon, type NativeInfo } from './backend/native';
export { patchWasmKernels } from './backend/wasm_kernels';
export { registerFusedOps, gelu, layerNorm, causalSoftmax } from './backend/fused_ops';
export { GPT, type GPTConfig, type GPTCache } from './prior/gpt';
export { sample, sampleLogits, samplerOptions, samplerOptionsSchema, argmax, type SamplerOptions } from './sampler';
export { hashedInstructionEncoder, checkInstruction, hashedEncoderSchema, type InstructionEncoder, type HashedEncoderConfig } from './encoders/instruction';
export { datasetEncoder, supportSetFromSplit, datasetEncoderSchema, type DatasetEncoder, type DatasetEncoderConfig, type SupportSet } from './encoders/dataset';
export { architectureEncoder, positionFeatures, architectureNumbers, POSITION_FEATURES, type ArchitectureCondition, type ArchitectureEncoder, type ChunkPlace } from './encoders/architecture';
export { textFeatures, textFeatureMatrix } from './encoders/text-features';
export { Prior, defaultDecoder, priorConfigSchema, PREFIX, type PriorConfig, type PriorCondition, type PriorOptions, type TokenLayout, type DecoderFactory } from './prior/prior';
export { type Decoder } from './prior/decoder';
export { sampleCodes, logLikelihood, windows, type SampleCodesOptions } from './prior/autoregress';
export { trainPrior, priorLoss, drawBatch, priorTrainConfigSchema, type PriorExample, type PriorTrainConfig, type TrainPriorOptions } from './prior/train';
export { savePrior, loadPrior, PRIOR_FORMAT_VERSION } from './prior/checkpoint';
export { priorExamples, priorExamplesFromZoo, type NetworkRecord } from './prior/examples';
export { generate, rank, saveGenerated, resolveArchitecture, checkCompatible, architectureCondition, type GenerateOptions, type GenerateResult, type RankCandidate, type RankOptions, type ArchitectureRef } from './generate';

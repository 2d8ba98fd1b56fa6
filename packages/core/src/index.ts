// @igpg/core public API, by stage in pipeline order. Internals without a user outside core are not exported;
// test/public-api.test.ts snapshots this list (test/public-api/core.txt): a change to it shows in review; update the
// snapshot with it (npx vitest run test/public-api.test.ts -u).

// ---- foundations: seeded randomness, validated configs, atomic files, logs ----
export { createRng, type Rng } from './rng';
export { ajv, validate, ValidationError } from './util/config';
export { writeFileAtomic, writeJsonAtomic, readFileVerified, readJson, sha256, cleanStaleTemps, FileIntegrityError } from './io/atomic';
export { createProgress, type Progress, type ProgressOptions } from './util/progress';
export { metricsLog, readJsonl } from './util/jsonl';
export { escapeControl } from './util/terminal';
export { checkOutputDir, checkInputPath, PathError } from './io/paths';

// ---- backend: tensor backends and fused ops ----
export { initBackend, shutdownBackend, availableBackends, BACKEND_NAMES, type BackendName, type BackendInfo, type InitBackendOptions } from './backend/init';
export { cpuFeatures, type CpuFeatures } from './backend/cpu_features';
export { loadNative, type NativeAddon, type NativeInfo } from './backend/native';
export { gelu } from './backend/fused/gelu';
export { layerNorm } from './backend/fused/layer_norm';
export { causalSoftmax } from './backend/fused/causal_softmax';
export { softmaxCrossEntropy } from './backend/fused/softmax_cross_entropy';
export { im2col, hasIm2col, maxPool } from './backend/im2col';
export { blasThreads } from './backend/blas_threads';

// ---- io: weight files in and out ----
export { encodeSafetensors, decodeSafetensors, writeSafetensors, readSafetensors, saveNetworkSafetensors, loadNetworkSafetensors, SafetensorsError, type SafeTensor, type SafeDtype, type SafetensorsReadOptions, type SafetensorsExportOptions } from './io/safetensors';
export { saveTfjsWeights, loadTfjsWeights, type TfjsModelJson } from './io/tfjs-format';
export { toLayersModel } from './io/tfjs-layers';
export { convertNetwork, readNetworkFile, type ConvertOptions } from './io/convert';
export { writeModelCard, type ModelCardFields, type Preprocessing } from './io/model-card';

// ---- sdk: architecture and dataset plugins, weights, limits ----
export type { ParamInfo, ParamRole, Network } from './sdk/types';
export { defineArchitecture, registerArchitecture, getArchitecture, listArchitectures, unregisterArchitecture, hasArchitecture, validateSpec, specSchema, countParams, type ArchitecturePlugin, type AnyArchitecture, type BaseSpec } from './sdk/architecture';
export { defineDataset, registerDataset, getDataset, listDatasets, unregisterDataset, hasDataset, type DatasetPlugin, type DatasetLoadOptions, type DatasetSplit } from './sdk/dataset';
export { flattenWeights, unflattenWeights, assignWeights, networkWeights, type NetworkWeights } from './sdk/weights';
export { type WeightLayout } from './sdk/layout';
export { sharedRegistry, type Registry } from './sdk/registry';
export { permuteAxis, type PermutationGroup, type PermutedAxis, type PermutationSymmetry } from './sdk/permutations';
export type { KerasLayer, KerasActivation } from './sdk/keras';
export { checkParamBudget, DEFAULT_MAX_PARAMS, ResourceLimitError } from './sdk/budget';
export { loadPlugins } from './zoo/plugins';
export { init, type InitOptions } from './init';

// ---- training: checkpoints, the loop, the optimizer (shared by every trainer) ----
export { saveCheckpoint, loadCheckpoint, readCheckpointMeta, CheckpointMismatchError, CHECKPOINT_FORMAT, type CheckpointMeta, type CheckpointState, type LoadCheckpointOptions } from './train/checkpoint';
export { runTrainingLoop, type TrainingLoopOptions, type TrainingLoopResult } from './train/loop';
export { createAdam, FusedAdamOptimizer } from './train/adam';

// ---- zoo: tasks, building, reading and verifying a zoo (and its job queue) ----
export { makeTask, taskFromId, registerTaskPhrasing, type Task, type TaskDatasetInfo, type TaskPhrasing } from './zoo/task';
export { resolveZooConfig, zooConfigSchema, type ZooConfig, type ZooJob, type ZooTaskSet, type ZooHeldOutRule, type ZooTaskRef, type ZooArchitectureRef } from './zoo/config';
export { expandTaskSet, heldOutByRule } from './zoo/held-out';
export { entryTestSplit } from './zoo/splits';
export { buildZoo, type BuildZooOptions, type BuildZooResult } from './zoo/build';
export { trainBatch, groupBatches, batchKey, canTrainBatched, DEFAULT_ZOO_BATCH } from './zoo/train-batch';
export { evaluateNetwork, type Evaluation, type EvalSource } from './zoo/evaluate';
export { readManifest, type ZooEntry, type ZooManifest } from './zoo/manifest';
export { openZoo, type Zoo } from './zoo/reader';
export { packZoo, unpackZoo, zooPackFile, type ZooPack, type UnpackOutcome } from './zoo/pack';
export { verifyRecordedCheckpoints, type RepairedCheckpoint } from './zoo/verify';
export * from './queue/index';

// ---- canon / codec: chunks, canonical order, the weight codec ----
export { createTokenizer, fitTokenizer, encodeLayout, tokenizerConfigSchema, TOKENIZER_FORMAT, type Tokenizer, type TokenizerConfig, type TokenizerJSON, type ChunkPosition, type ChunkLayout, type Chunks, type TensorStats, type Grouping } from './tokenizer';
export { Canonicalizer, fitCanonicalizer, type CanonNetwork, type Permutations, type FitCanonicalizerOptions } from './canon/canonicalizer';
export { matchWeights, type MatchOptions } from './canon/match';
export { planWidening, planMorph, type WideningPlan, type Morph } from './canon/morph';
export { blendNetworks, matchParents, matchParentsByActivations, imagesLoss, type BlendImages } from './canon/blend';
export { encodeNetwork, decodeNetwork, type WeightCodec } from './codec';

// ---- vqvae: the VQ-VAE and its quantizers ----
export { createVqvae, encodeWeights, decodeWeights, type Vqvae, type VqvaeConfig } from './vqvae/model';
export { emaQuantizer, type EmaQuantizer, type EmaQuantizerOptions } from './vqvae/quantizer-ema';
export { residualQuantizer, type ResidualQuantizer } from './vqvae/quantizer-residual';
export { gumbelQuantizer, type GumbelQuantizer, type GumbelQuantizerOptions } from './vqvae/quantizer-gumbel';
export { type Quantizer } from './vqvae/ops';
export { registerQuantizer, getQuantizer, listQuantizers, hasQuantizer, unregisterQuantizer, type QuantizerFactory, type QuantizerFactoryOptions, type QuantizerPlugin } from './vqvae/registry';
export { trainVqvae, trainVqvaeConfigSchema, type TrainVqvaeConfig, type TrainVqvaeOptions, type VqvaeNetwork } from './vqvae/train';
export { fisherDiagonal, networkImportance, type ImportanceOptions, type WeighedNetwork } from './vqvae/importance';
export { saveVqvae, loadVqvae } from './vqvae/io';
export { codeUsage } from './vqvae/usage';
export { functionalCheck, type FunctionalRow } from './codec-check';

// ---- prior: condition encoders, the GPT prior, sampling, training ----
export { hashedInstructionEncoder, checkInstruction, checkCondition, type InstructionEncoder, type HashedEncoderConfig } from './encoders/instruction';
export { conceptInstructionEncoder, type ConceptEncoderConfig, type ConceptEncoderOptions } from './encoders/concepts';
export { parseInstruction, datasetLexicon, type Lexicon, type LexiconDataset, type InstructionParse } from './encoders/lexicon';
export { loadWinkVectors, wordVectorsFromArrays, type WordVectors } from './encoders/word-vectors';
export { classOrder, permuteOutputs, reorderTask, selectOutputs } from './class-order';
export { checkInstructionEncoder, type CheckInstructionEncoderOptions } from './encoders/conformance';
export { registerInstructionEncoder, unregisterInstructionEncoder, createInstructionEncoder, checkInstructionEncoderSpec, type InstructionEncoderFactory, type InstructionEncoderSpec } from './encoders/registry';
export { datasetEncoder, supportSetFromSplit, type DatasetEncoder, type DatasetEncoderConfig, type SupportSet } from './encoders/dataset';
export { architectureEncoder, positionFeatures, POSITION_FEATURES, type ArchitectureCondition, type ArchitectureEncoder, type ChunkPlace } from './encoders/architecture';
export { textFeatures } from './encoders/text-features';
export { GPT, type GPTConfig, type GPTCache } from './prior/gpt';
export { Prior, priorConfigSchema, PREFIX, type PriorConfig, type PriorCondition, type PriorOptions, type TokenLayout, type DecoderFactory } from './prior/prior';
export { type Decoder } from './prior/decoder';
export { sampleCodes, logLikelihood, windows, type SampleCodesOptions } from './prior/autoregress';
export { sample, sampleLogits, argmax, type SamplerOptions } from './sampler';
export { trainPrior, priorLoss, drawBatch, priorTrainConfigSchema, type PriorExample, type PriorTrainConfig, type TrainPriorOptions } from './prior/train';
export { savePrior, loadPrior } from './prior/checkpoint';
export { priorExamples, type NetworkRecord } from './prior/examples';

// ---- generate: networks from an instruction, the pipeline stages, the generator bundle ----
export { generate, rank, saveGenerated, resolveArchitecture, architectureCondition, type GenerateOptions, type GenerateResult, type RankCandidate, type RankOptions, type ArchitectureRef } from './generate';
export { loadZooNetworks, isTrainingEntry, lastEpochs, taskSupportSet, type ZooNetwork } from './pipeline/zoo-networks';
export { trainTokenizerStage, trainPriorStage, type TokenizerStageOptions, type PriorStageOptions } from './pipeline/stages';
export { loadGenerator, saveGenerator, writeGeneratorConfig, resolveTask, specForTask, generateForTask, type Generator, type GenerateForTaskOptions } from './pipeline/generator';

// ---- eval: the evaluation and its report (locally, or its rows on the queue) ----
export { runEvaluation, type RunEvaluationOptions } from './eval/run';
export { type EvalResults, type RowResult, type AccStat, type CutBaseline, type Spread, type MemorizationResult, type RetrievalResult, type ConditioningResult, type CrossArchResult, type Target, type EvalMeta } from './eval/results';
export { l2Distance, l2Norm, nearestCheckpoint, noiseAtDistance } from './eval/memorization';
export { mean, median } from './eval/stats';
export { heldOutParaphrases } from './eval/paraphrases';
export { finetune, finetuneCurve, finetuneTask, type FinetunePoint, type FinetuneCurveOptions, type FinetuneTaskOptions } from './eval/finetune';
export { TARGETS } from './eval/targets';
export { cutBaseline } from './eval/cut';
export { reportFigures, type PlotFigure } from './eval/figures';
export { evaluateRowsOnQueue, QueueEvalError, type QueueEvalOptions, type QueueEvalPlan } from './eval/queue/coordinator';
export { type EvalRowPayload } from './eval/queue/payload';

// ---- worker: one queue worker process, for zoo jobs and evaluation rows ----
export { startQueueWorker, type QueueWorkerHandle, type QueueWorkerOptions } from './worker';

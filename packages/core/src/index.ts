// @igpg/core public API. Each engineer appends the exports of their modules below.
export type { ParamInfo, ParamRole, Network } from './sdk/types';
export { createRng, type Rng } from './rng';
export { ajv, validate, formatAjvErrors, ValidationError } from './util/config';
export { writeFileAtomic, writeJsonAtomic, readFileVerified, readJson, sha256, FileIntegrityError } from './io/atomic';
export { createProgress, type Progress, type ProgressOptions } from './util/progress';
export { metricsLog, readJsonl } from './util/jsonl';
export { makeTask, taskId, taskFromId, splitTaskId, classSlug, resolveClasses, instructionTexts, registerTaskPhrasing, type Task, type TaskDatasetInfo, type TaskPhrasing } from './zoo/task';

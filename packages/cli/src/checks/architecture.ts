import {
  checkParamBudget, countParams, getArchitecture, resolveTask, specForTask, validateSpec, type ArchitectureRef, type Task,
} from '@igpg/core';
import { UsageError } from '../errors';

const message = (e: unknown) => (e as Error).message;

/** `--dataset <name|task>` resolved against the registered datasets, as a usage error naming the flag. */
export function checkDatasetFlag(ref: string | undefined): Task | undefined {
  if (ref === undefined) return undefined;
  try {
    return resolveTask(ref);
  } catch (e) {
    throw new UsageError(`--dataset ${ref}: ${message(e)}`);
  }
}

/**
 * Check `--arch` before anything is loaded or allocated: a registered architecture, a valid spec (inputShape and
 * classes from --dataset where the spec leaves them out), and a parameter count within `--max-params`.
 * Returns the parameter count.
 */
export function checkArchFlag(arch: ArchitectureRef, task: Task | undefined, maxParams?: number): number {
  let plugin;
  try {
    plugin = getArchitecture(arch.name);
  } catch (e) {
    throw new UsageError(`--arch ${arch.name}: ${message(e)}`);
  }
  const { spec } = specForTask(arch, task);
  if (!task && (spec.inputShape === undefined || spec.classes === undefined)) {
    throw new UsageError(`--arch ${arch.name}: the spec has no "inputShape"/"classes"; pass --dataset <name|task> (e.g. --dataset mnist) or put them in the spec.`);
  }
  let params: number;
  try {
    params = countParams(plugin.describe(validateSpec(plugin, spec)));
  } catch (e) {
    throw new UsageError(`--arch ${arch.name}: ${message(e)}`);
  }
  checkParamBudget(`--arch ${arch.name}`, params, { limit: maxParams, raise: '--max-params' });
  return params;
}

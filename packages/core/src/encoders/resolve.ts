// Architecture lookup for the prior: a name + spec resolved to its plugin, parameter list and condition. It sits in
// encoders/, not sdk/, because the result carries the architecture condition (encoders/architecture.ts).
import { countParams, getArchitecture, validateSpec, type AnyArchitecture } from '../sdk/architecture';
import type { ParamInfo } from '../sdk/types';
import type { ArchitectureCondition } from './architecture';

/** An architecture as the user names it: a registered plugin name and a spec for it. */
export interface ArchitectureRef {
  name: string;
  spec: Record<string, unknown>;
}

/** A resolved architecture: plugin, validated spec, parameter list, and its condition for the prior. */
export interface ResolvedArchitecture {
  plugin: AnyArchitecture;
  spec: Record<string, unknown>;
  infos: ParamInfo[];
  condition: ArchitectureCondition;
}

/** Look up and validate an architecture; clear errors for an unregistered name or an invalid spec. */
export function resolveArchitecture(ref: ArchitectureRef): ResolvedArchitecture {
  if (!ref || typeof ref.name !== 'string') throw new Error('architecture must be { name, spec } with a registered architecture name');
  const plugin = getArchitecture(ref.name); // unknown name: lists the registered ones
  const spec = validateSpec(plugin, ref.spec) as Record<string, unknown>;
  const infos = plugin.describe(spec);
  return { plugin, spec, infos, condition: architectureCondition(plugin.name, plugin.summary(spec), infos) };
}

/** The architecture condition of a parameter list. */
export function architectureCondition(name: string, description: string, infos: ParamInfo[]): ArchitectureCondition {
  return { name, description, params: countParams(infos), layers: Math.max(...infos.map((p) => p.layer)) + 1, tensors: infos.length };
}


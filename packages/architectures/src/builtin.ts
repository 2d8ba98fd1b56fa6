import { hasArchitecture, registerArchitecture, type AnyArchitecture } from '@igpg/core';
import { cnnL, cnnS } from './cnn';
import { mlp } from './mlp';
import { resnet } from './resnet';
import { vit } from './vit';

/** The built-in architecture plugins. */
export const plugins: AnyArchitecture[] = [mlp, cnnS, cnnL, resnet, vit];

/**
 * Register every built-in architecture (idempotent: ones already registered under the same name are kept).
 * @example registerBuiltinArchitectures(); getArchitecture('cnn-s').build({ inputShape: [28, 28, 1], classes: 10 }, 1);
 */
export function registerBuiltinArchitectures(): void {
  for (const plugin of plugins) if (!hasArchitecture(plugin.name)) registerArchitecture(plugin);
}

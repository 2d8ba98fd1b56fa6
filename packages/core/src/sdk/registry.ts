/**
 * A named registry of plugins that lives on `globalThis` under a `Symbol.for` key,
 * so duplicate copies of this module (tslab notebooks, dist vs src) share one registry
 * (the same trick tfjs uses for its kernel registry).
 */
export interface Registry<T extends { name: string }> {
  register(plugin: T): T;
  get(name: string): T;
  has(name: string): boolean;
  list(): T[];
  unregister(name: string): boolean;
}

/**
 * Get (or create) the shared registry for one kind of plugin.
 * @example const archs = sharedRegistry<ArchitecturePlugin>('architecture'); archs.register(mlp);
 */
export function sharedRegistry<T extends { name: string }>(kind: string): Registry<T> {
  const key = Symbol.for(`igpg.registry.${kind}`);
  const g = globalThis as unknown as Record<symbol, Map<string, T> | undefined>;
  const map = (g[key] ??= new Map<string, T>());
  const known = () => (map.size ? [...map.keys()].sort().join(', ') : '(none)');
  return {
    register(plugin) {
      if (!plugin || typeof plugin.name !== 'string' || !plugin.name) throw new Error(`cannot register ${kind}: it has no name`);
      if (map.has(plugin.name)) {
        throw new Error(`${kind} "${plugin.name}" is already registered; unregister it first or pick another name (registered: ${known()})`);
      }
      map.set(plugin.name, plugin);
      return plugin;
    },
    get(name) {
      const plugin = map.get(name);
      if (!plugin) throw new Error(`unknown ${kind} "${name}"; registered: ${known()}`);
      return plugin;
    },
    has: (name) => map.has(name),
    list: () => [...map.values()].sort((a, b) => a.name.localeCompare(b.name)),
    unregister: (name) => map.delete(name),
  };
}

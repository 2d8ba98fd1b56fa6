// Held-out paraphrases: instructions worded unlike the zoo's templates (zoo/task.ts), to test whether the prior
// understands the request or only matches strings it was trained on. None of them may appear in the manifest.

const andList = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const orList = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`);

/**
 * A few rewordings of a task's request that are not among `known` (the manifest's instructions, compared case- and
 * space-insensitively). Deterministic.
 * @example heldOutParaphrases({ dataset: 'mnist', classes: ['0', '1'] }, entry.task.instructions)
 */
export function heldOutParaphrases(task: { dataset: string; classes: string[] }, known: string[], count = 3): string[] {
  const c = task.classes;
  const candidates = [
    `I need a model that sorts ${task.dataset} inputs into ${andList(c)}`,
    `Which one is it: ${orList(c)}? Build a ${task.dataset} predictor for that`,
    `Give me network weights that label ${task.dataset} examples as ${c.join(' / ')}`,
    `A ${c.length}-category recogniser for ${task.dataset} (${c.join(', ')})`,
    `Decide for each ${task.dataset} example whether it is ${orList(c)}`,
  ];
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
  const seen = new Set(known.map(norm));
  return candidates.filter((p) => !seen.has(norm(p))).slice(0, count);
}

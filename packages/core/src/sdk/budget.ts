// Resource bounds, checked before anything is allocated. A spec such as `hidden: [1e12]` is valid JSON Schema
// but would grow the heap for a minute and die with "JavaScript heap out of memory" (issue #16); its parameter
// count is known from describe(spec) without allocating, so it is compared with a limit first.

/**
 * Default limit on the parameters of one model (a zoo network, a generated network, the prior or the VQ-VAE):
 * 20 million, about 320 MB to train (weights, gradients and two Adam moments in float32). The built-in
 * architectures and configs stay under 1 million. Raise it with `--max-params` or the zoo config's `maxParams`.
 */
export const DEFAULT_MAX_PARAMS = 20_000_000;

/** float32 weights + gradients + Adam's two moments. */
const TRAIN_BYTES_PER_PARAM = 16;

/** Raised when a model would exceed the parameter limit; the message names the count, the limit and how to raise it. */
export class ResourceLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceLimitError';
  }
}

const fmtBytes = (b: number) => (b >= 1e12 ? `${(b / 1e12).toPrecision(3)} TB` : b >= 1e9 ? `${(b / 1e9).toPrecision(3)} GB` : `${(b / 1e6).toPrecision(3)} MB`);
const fmtCount = (n: number) => (n >= 1e15 ? n.toExponential(2) : Math.round(n).toLocaleString('en-US'));

/**
 * Throw a ResourceLimitError when `params` exceeds `limit`.
 * @example checkParamBudget('mlp spec', 7.8e9, { raise: '--max-params' }); // "mlp spec: 7,800,000,000 parameters (~125 GB to train) exceed ..."
 */
export function checkParamBudget(what: string, params: number, options: { limit?: number; raise: string }): void {
  const limit = options.limit ?? DEFAULT_MAX_PARAMS;
  if (Number.isFinite(params) && params <= limit) return;
  throw new ResourceLimitError(`${what}: ${fmtCount(params)} parameters (~${fmtBytes(params * TRAIN_BYTES_PER_PARAM)} to train) exceed the limit of ` +
    `${fmtCount(limit)}; make the model smaller, or raise the limit with ${options.raise} if the machine has the memory`);
}

import * as fs from 'node:fs';
import * as os from 'node:os';

/** What the CPU offers for fp32 arithmetic, and the peak it implies. */
export interface CpuFeatures {
  model: string;
  /** Logical cores the OS reports (os.cpus().length). */
  cores: number;
  /** Clock used for the peak, GHz: the measured clock when given, else /proc/cpuinfo "cpu MHz" (or os.cpus() speed). */
  ghz: number;
  /** Nominal clock from /proc/cpuinfo "cpu MHz" (or os.cpus() speed), GHz. */
  nominalGhz: number;
  /** Where `ghz` came from. */
  clockSource: 'measured' | 'cpuinfo';
  /** Widest vector ISA found in the flags. */
  isa: 'avx512' | 'avx2' | 'avx' | 'sse' | 'unknown';
  fma: boolean;
  /** fp32 lanes per vector register for `isa`. */
  lanes: number;
  /** Assumed FMA (or mul+add) units per core. */
  fmaUnits: number;
  /** Peak fp32 GFLOP/s = cores × GHz × fmaUnits × lanes × (2 if FMA else 1). */
  peakGflops: number;
  /** How peakGflops was computed, for reports. */
  peakFormula: string;
}

/**
 * Read /proc/cpuinfo (Linux; falls back to os.cpus()) and compute the machine's fp32 peak.
 * Assumes 2 FMA units per core, each as wide as the widest ISA (Intel Skylake-SP and later,
 * AMD Zen 5; Zen 4 runs AVX-512 at half that width). The clock in /proc/cpuinfo is the
 * nominal one; pass `measuredGhz` (native addon's clockGhz(): turbo included) when known,
 * since one core here sustains more sgemm GFLOP/s than the nominal clock allows.
 * @example const { peakGflops, peakFormula } = cpuFeatures({ measuredGhz: loadNative()?.addon.clockGhz() });
 */
export function cpuFeatures(options: { measuredGhz?: number } = {}): CpuFeatures {
  let text = '';
  try {
    text = fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux: flags unknown
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const flags = new Set((field('flags') ?? '').split(/\s+/));
  const cpus = os.cpus();
  const mhz = Number(field('cpu MHz')) || cpus[0]?.speed || 0;
  const nominalGhz = Math.round(mhz / 10) / 100;
  const measured = options.measuredGhz !== undefined && Number.isFinite(options.measuredGhz) && options.measuredGhz > 0;
  const ghz = measured ? Math.round(options.measuredGhz! * 100) / 100 : nominalGhz;
  const isa = flags.has('avx512f') ? 'avx512' : flags.has('avx2') ? 'avx2' : flags.has('avx') ? 'avx' : flags.has('sse2') ? 'sse' : 'unknown';
  const lanes = { avx512: 16, avx2: 8, avx: 8, sse: 4, unknown: 4 }[isa];
  const fma = flags.has('fma');
  const fmaUnits = 2;
  const cores = cpus.length;
  const opsPerFma = fma ? 2 : 1;
  const peakGflops = Math.round(cores * ghz * fmaUnits * lanes * opsPerFma * 10) / 10;
  const peakFormula =
    `${cores} cores × ${ghz} GHz × ${fmaUnits} FMA units × ${lanes} fp32 lanes (${isa}) × ${opsPerFma} flops/${fma ? 'FMA' : 'op'}` +
    ` = ${peakGflops} GFLOP/s (` + (measured
      ? `clock measured with a dependent-add chain, turbo included; /proc/cpuinfo says ${nominalGhz} GHz)`
      : 'clock from /proc/cpuinfo "cpu MHz"; turbo not counted)');
  return {
    model: field('model name') ?? cpus[0]?.model ?? 'unknown', cores, ghz, nominalGhz, clockSource: measured ? 'measured' : 'cpuinfo',
    isa, fma, lanes, fmaUnits, peakGflops, peakFormula,
  };
}

import { readFileVerified } from '../io/atomic';
import { decodeSafetensors } from '../io/safetensors';

/**
 * Check a zoo weight file against its entry record: size, SHA-256, a well-formed safetensors layout and finite
 * values only. A checksum alone would pass a file that was all NaN when it was recorded (issue #16).
 * Throws FileIntegrityError / SafetensorsError naming the file, the tensor and the defect.
 * @example verifyWeightFile('zoo/weights/mnist__all/mlp-16/s0-e2.safetensors', entry.weights);
 */
export function verifyWeightFile(file: string, expected: { size?: number; sha256?: string }): void {
  const bytes = readFileVerified(file, expected);
  decodeSafetensors(bytes, { source: file }); // rejects non-finite values, overlaps, gaps, truncation
}

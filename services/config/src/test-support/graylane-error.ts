import { GraylaneError } from '@graylane/contracts';

/** The GraylaneError `run` throws; any other outcome fails the test. */
export function errorOf(run: () => unknown): GraylaneError {
  try {
    run();
  } catch (error) {
    if (error instanceof GraylaneError) return error;
    throw error;
  }
  throw new Error('expected a GraylaneError');
}

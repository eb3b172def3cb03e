/**
 * The error classes that the viz core raises: the base class of every saliency-lab error and the two
 * kinds of mistake a caller can make. They live here, inside the browser-safe core, so that the core
 * imports nothing outside itself and still throws the very classes the package exports: src/errors.ts
 * re-exports them beside the other error classes, and `instanceof` holds on both sides.
 */

/** Base class of every error saliency-lab raises on purpose. `where` is the public function's name. */
export class SaliencyError extends Error {
  readonly where: string;
  constructor(where: string, detail: string) {
    super(`${where}: ${detail}`);
    this.name = new.target.name;
    this.where = where;
  }
}

/** The input tensor has the wrong rank, shape or dtype, or holds NaN or Infinity. */
export class InputError extends SaliencyError {}

/** An option has a value outside its valid range or set of choices. */
export class OptionError extends SaliencyError {}

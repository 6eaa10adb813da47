/**
 * `SkeletonError`: a skeleton that cannot be generated (an `--event` naming a map or type
 * the object does not have), or a generated skeleton whose object no longer matches it.
 * @module
 */
import { TsbpfError } from '../../errors.js';

/** A skeleton and its object disagree, or a generator option names something absent. */
export class SkeletonError extends TsbpfError {}

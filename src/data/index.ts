// data: seeded synthetic data sets with ground-truth masks; re-exported from src/index.ts.
import { shapes } from './shapes';
import { road } from './road';
import { rings } from './rings';

/** The synthetic data sets: `data.shapes(options)`, `data.road(options)`, `data.rings(options)`. */
export const data = { shapes, road, rings };

export { SHAPE_CLASSES } from './shapes';
export type { ShapeClass } from './shapes';
export { MAX_STEERING_DEG } from './road';
export { MIN_RINGS, MAX_RINGS } from './rings';
export type { Dataset, DatasetOptions } from './common';

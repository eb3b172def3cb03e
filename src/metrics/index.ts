// metrics: measures that say which map to trust; re-exported from src/index.ts.
export { rankCorrelation, ssim, trapezoidAuc } from './common';
export type { SsimOptions } from './common';
export { localisation, LOCALISATION_DEFAULTS } from './localisation';
export type { Localisation, LocalisationOptions } from './localisation';
export { deletion, insertion, DELETION_OPTIONS, INSERTION_OPTIONS } from './pixel-curve';
export type { PixelCurve, PixelCurveOptions } from './pixel-curve';
export { infidelity, INFIDELITY_DEFAULTS, INFIDELITY_OPTIONS } from './infidelity';
export type { InfidelityOptions } from './infidelity';
export { sensitivityMax, SENSITIVITY_MAX_DEFAULTS, SENSITIVITY_MAX_OPTIONS } from './sensitivity';
export type { SensitivityMaxOptions } from './sensitivity';
export { modelRandomisation, RANDOMISATION_MODES, RANDOMISATION_DEFAULTS, RANDOMISATION_OPTIONS } from './randomisation';
export type { Randomisation, RandomisationMode, RandomisationOptions } from './randomisation';
export { road, noisyLinearImpute, ROAD_DEFAULTS, ROAD_OPTIONS, ROAD_FRACTIONS } from './road';
export type { Road, RoadOptions } from './road';
export { hogSimilarity, HOG_DEFAULTS } from './hog';
export type { HogOptions } from './hog';

/**
 * The statistics core: A/B tests, intervals, power, sequential testing and drift statistics, checked
 * against scipy (test/helpers/scipy_truth.py). Inputs are validated; bad input throws StatsError.
 */
export { StatsError, summarize, type Sample, type Summary } from './sample';
export {
  chiSquareContingency,
  meanDiffInterval,
  meanMde,
  meanPower,
  meanSampleSize,
  proportionDiffInterval,
  proportionMde,
  proportionPower,
  proportionSampleSize,
  proportionSummary,
  relativeLiftInterval,
  sampleRatioMismatch,
  SRM_THRESHOLD,
  student,
  studentFromSummary,
  twoProportionZ,
  welch,
  welchFromSummary,
  type ChiSquareResult,
  type Interval,
  type IntervalOptions,
  type PowerOptions,
  type SampleSize,
  type SrmResult,
  type TTestResult,
  type ZTestResult,
} from './abtest';
export {
  confidenceSequence,
  DEFAULT_SEQUENTIAL_TUNING,
  sequentialDecision,
  sequentialHalfwidth,
  sequentialLift,
  sequentialMeanDiff,
  SequentialMonitor,
  sequentialProportionDiff,
  sequentialRho,
  sequentialSamplesNeeded,
  type SequentialDecision,
  type SequentialOptions,
  type SequentialResult,
  type SequentialVerdict,
} from './sequential';
export {
  categoryCounts,
  jensenShannon,
  ks2samp,
  normedWasserstein,
  psi,
  PSI_EPSILON,
  wasserstein,
  zTestBinary,
  type KsMethod,
  type KsResult,
  type SortedInputOptions,
} from './drift';
export { benjaminiHochberg, bonferroni, type Corrected } from './multiple';
export { chi2Cdf, chi2Sf, normalCdf, normalPpf, normalSf, tCdf, tPpf, tSf, tTwoSided } from './special';
export { kolmogorovSf, smirnovSf } from './kolmogorov';
export { sortFloat64 } from './sort';

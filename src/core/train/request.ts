/**
 * The one check of a training request. Why one: the runner has to refuse bad
 * input synchronously on the main thread, before a worker exists, and the worker
 * then trains on a copy of exactly that input; checking the windows again there
 * would cost a pass over every value for nothing (and two checks drift apart:
 * they did, in their messages and in what they covered).
 */
import { describe } from '../base/errors';
import { fail } from '../base/messages';
import { validateArtifact, type ModelArtifact } from '../model/artifact';
import { resolveModelConfig, type ModelConfig } from '../settings/model';
import { resolveTrainOptions, type TrainOptions } from '../settings/training';
import { checkSeriesIds, checkWindows, type TrainData, type ValidationData } from './train-data';

/** What a request may bring besides the data (the trainer's hooks carry these). */
export interface RequestSources {
  /** Continue from this artifact: its weights, architecture and scaler. The spec must match. */
  previous?: ModelArtifact;
  /** Explicit validation windows; then validationFraction is ignored. */
  validation?: ValidationData;
}

/**
 * Type-only brand: a {@link CheckedRequest} comes from {@link checkTrainRequest}
 * (or from the worker rebuilding what the runner checked), so whatever trains
 * one may skip the checks.
 */
declare const checkedBrand: unique symbol;

/** A training request that passed {@link checkTrainRequest}, settings resolved. */
export interface CheckedRequest {
  readonly data: TrainData;
  readonly validation?: ValidationData;
  /** Validated. */
  readonly previous?: ModelArtifact;
  readonly options: TrainOptions;
  /** The resolved architecture, or the previous artifact's with the given seed. */
  readonly model: ModelConfig;
  /** Column of the target in the features. */
  readonly targetIndex: number;
  readonly [checkedBrand]: true;
}

function sameSpec(prev: ModelArtifact, data: TrainData): string | null {
  const s = prev.spec;
  if (s.window !== data.window) return `window ${s.window} vs ${data.window}`;
  if (s.horizon !== data.horizon) return `horizon ${s.horizon} vs ${data.horizon}`;
  if (s.features.join('\u0000') !== data.features.join('\u0000')) {
    return `features (${s.features.join(', ')}) vs (${data.features.join(', ')})`;
  }
  if (s.target !== data.target) return `target "${s.target}" vs "${data.target}"`;
  return null;
}

/**
 * Checks a training request and resolves its settings: options, model config,
 * previous artifact, data shape and windows, validation windows, and that the
 * data matches the previous artifact's spec. Whether there are enough windows is
 * left to the split, which knows the validation share.
 * @param modelCfg architecture; ignored (except `seed`) when `sources.previous` is given.
 * @throws ForecastError BAD_CONFIG, BAD_ARTIFACT, BAD_INPUT, SPEC_MISMATCH.
 */
export function checkTrainRequest(
  data: TrainData,
  modelCfg: Partial<ModelConfig> = {},
  opts: Partial<TrainOptions> = {},
  sources: RequestSources = {},
): CheckedRequest {
  const options = resolveTrainOptions(opts);
  const previous = sources.previous ? validateArtifact(sources.previous) : undefined;
  const model = previous
    ? { ...previous.model, seed: modelCfg.seed ?? previous.model.seed }
    : resolveModelConfig(modelCfg);

  if (!data || typeof data !== 'object') {
    throw fail('BAD_INPUT', 'trainRequest.notDataset', { got: describe(data) });
  }
  const { window: L, horizon: H, features } = data;
  if (!Array.isArray(features) || !features.length) {
    throw fail('BAD_INPUT', 'trainRequest.noFeatures', { got: describe(features) });
  }
  const F = features.length;
  const targetIndex = features.indexOf(data.target);
  if (targetIndex < 0) {
    throw fail('BAD_INPUT', 'trainRequest.targetNotFeature', {
      target: describe(data.target),
      features: features.join(', '),
    });
  }
  if (!Number.isInteger(L) || L < 1) throw fail('BAD_INPUT', 'trainRequest.badWindow', { got: describe(L) });
  if (!Number.isInteger(H) || H < 1) {
    throw fail('BAD_INPUT', 'trainRequest.badHorizon', { got: describe(H) });
  }
  checkWindows('training data', data.inputs, data.targets, L, F, H);
  checkSeriesIds('training data', data.seriesIds, data.inputs.length);
  const { validation } = sources;
  if (validation) {
    checkWindows('validation data', validation.inputs, validation.targets, L, F, H);
    checkSeriesIds('validation data', validation.seriesIds, validation.inputs.length);
  }
  if (previous) {
    const diff = sameSpec(previous, data);
    if (diff) {
      throw fail('SPEC_MISMATCH', 'trainRequest.specDiffers', { name: previous.name, diff });
    }
  }
  return { data, validation, previous, options, model, targetIndex } as CheckedRequest;
}

/**
 * Training and validation windows, and the scaled form the network and the ridge
 * start see. The validation windows are the chronologically last part of the
 * data (or given explicitly): validating on the newest windows is what a forecast
 * faces; a random split would let the network see the future around every
 * validation window. The scaler is fitted on the training windows only (fitting
 * on validation rows would leak their level), or kept from the previous artifact
 * when training continues, so the artifact's units do not change under it.
 */
import { fail } from '../base/messages';
import { chooseReference, fitScaler, prepare, type PreparedData, type ScalerState } from '../data/scaler';
import type { CheckedRequest } from './request';

/** Windows in real units, [N][L][F] inputs and [N][H][1] targets. */
export interface Windows {
  inputs: number[][][];
  targets: number[][][];
}

/** A request's windows split, the scaler, and both parts prepared with it. */
export interface Prepared {
  /** Real units: the report's baselines and scores need them. */
  trainWindows: Windows;
  valWindows: Windows;
  scaler: ScalerState;
  train: PreparedData;
  val: PreparedData;
  /** [valWindows] the series of each validation window, when the data names them (else undefined). */
  valIds?: string[];
  /** [trainWindows] the series of each training window, when the data names them (else undefined). */
  trainIds?: string[];
}

/** A request's windows split into training and validation, with the validation windows' series ids. */
export interface Split {
  train: Windows;
  val: Windows;
  valIds?: string[];
  /** [train windows] their series, when the data names them. */
  trainIds?: string[];
}

/** Per window, whether {@link splitBySeries} puts it in the validation part. */
function validationMask(ids: string[], fraction: number): boolean[] {
  const count = new Map<string, number>();
  for (const id of ids) count.set(id, (count.get(id) ?? 0) + 1);
  const nVal = new Map<string, number>();
  for (const [id, n] of count) nVal.set(id, Math.round(n * fraction));
  if ([...nVal.values()].every((v) => v === 0)) nVal.set(ids[ids.length - 1], 1);
  const seen = new Map<string, number>();
  return ids.map((id) => {
    const k = seen.get(id) ?? 0;
    seen.set(id, k + 1);
    // A series' windows are oldest first: its last nVal are its newest.
    return k >= (count.get(id) as number) - (nVal.get(id) as number);
  });
}

/**
 * The series of each training window of {@link splitWindows}, in its order, when the data names several; else
 * undefined (the training windows' own calibration is then pooled).
 */
export function trainSeriesIds(req: CheckedRequest): string[] | undefined {
  const { data, validation, options: o } = req;
  if (!data.seriesIds) return undefined;
  if (validation) return data.seriesIds;
  const isVal = validationMask(data.seriesIds, o.validationFraction);
  return data.seriesIds.filter((_, i) => !isVal[i]);
}

/**
 * Per series, the newest `fraction` of its windows (rounded) for validation; at least one window when
 * every series rounds to none. Per series because the windows of several series are concatenated: the
 * newest fraction of the whole would be the last series only, and its errors would stand for all of them.
 */
function splitBySeries(data: Windows, ids: string[], fraction: number): Split {
  const train: Windows = { inputs: [], targets: [] };
  const val: Windows = { inputs: [], targets: [] };
  const valIds: string[] = [];
  const trainIds: string[] = [];
  const isVal = validationMask(ids, fraction);
  ids.forEach((id, i) => {
    const part = isVal[i] ? val : train;
    part.inputs.push(data.inputs[i]);
    part.targets.push(data.targets[i]);
    (part === val ? valIds : trainIds).push(id);
  });
  return { train, val, valIds, trainIds };
}

/**
 * The training and validation windows: the explicit validation windows, else
 * the last `validationFraction` of the data (at least one window), of each
 * series when the windows carry series ids.
 * @throws ForecastError BAD_INPUT when fewer than `minWindows` are left to train or none to validate.
 */
export function splitWindows(req: CheckedRequest): Split {
  const { data, validation, options: o } = req;
  let train: Windows;
  let val: Windows;
  let valIds: string[] | undefined;
  let trainIds: string[] | undefined;
  if (validation) {
    train = { inputs: data.inputs, targets: data.targets };
    val = { inputs: validation.inputs, targets: validation.targets };
    valIds = validation.seriesIds;
    trainIds = data.seriesIds;
  } else if (data.seriesIds) {
    ({ train, val, valIds, trainIds } = splitBySeries(data, data.seriesIds, o.validationFraction));
  } else {
    const N = data.inputs.length;
    const nVal = Math.max(1, Math.round(N * o.validationFraction));
    train = { inputs: data.inputs.slice(0, N - nVal), targets: data.targets.slice(0, N - nVal) };
    val = { inputs: data.inputs.slice(N - nVal), targets: data.targets.slice(N - nVal) };
  }
  if (train.inputs.length < o.minWindows || val.inputs.length < 1) {
    const counts = { min: o.minWindows, train: train.inputs.length, validation: val.inputs.length };
    throw validation
      ? fail('BAD_INPUT', 'split.tooFewWindows', counts, 'too few windows')
      : fail(
          'BAD_INPUT',
          'split.tooFewWindowsSplit',
          { ...counts, windows: data.inputs.length, fraction: o.validationFraction },
          'too few windows',
        );
  }
  return { train, val, ...(valIds ? { valIds } : {}), ...(trainIds ? { trainIds } : {}) };
}

/**
 * The previous artifact's scaler, else one fitted on the training windows with
 * the target reference the options ask for (a seasonal one only where it fits
 * and beats the last value, see chooseReference).
 */
export function scalerFor(req: CheckedRequest, train: Windows): ScalerState {
  if (req.previous) return req.previous.scaler;
  const z = fitScaler(train.inputs);
  const { reference, season } = req.options;
  return {
    ...z,
    ...(reference === 'seasonal'
      ? chooseReference(train.inputs, train.targets, z, req.targetIndex, season)
      : { reference: 'last' as const }),
  };
}

/** Splits the request's windows, gets the scaler and prepares both parts with it. */
export function prepareSplit(req: CheckedRequest): Prepared {
  const { train, val, valIds, trainIds } = splitWindows(req);
  const scaler = scalerFor(req, train);
  return {
    trainWindows: train,
    valWindows: val,
    ...(valIds ? { valIds } : {}),
    ...(trainIds ? { trainIds } : {}),
    scaler,
    train: prepare(train.inputs, train.targets, scaler, req.targetIndex, undefined, trainIds),
    val: prepare(val.inputs, val.targets, scaler, req.targetIndex, undefined, valIds),
  };
}

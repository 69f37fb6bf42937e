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
}

/**
 * The training and validation windows: the explicit validation windows, else
 * the last `validationFraction` of the data (at least one window).
 * @throws ForecastError BAD_INPUT when fewer than `minWindows` are left to train or none to validate.
 */
export function splitWindows(req: CheckedRequest): { train: Windows; val: Windows } {
  const { data, validation, options: o } = req;
  let train: Windows;
  let val: Windows;
  if (validation) {
    train = { inputs: data.inputs, targets: data.targets };
    val = { inputs: validation.inputs, targets: validation.targets };
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
  return { train, val };
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
  const { train, val } = splitWindows(req);
  const scaler = scalerFor(req, train);
  return {
    trainWindows: train,
    valWindows: val,
    scaler,
    train: prepare(train.inputs, train.targets, scaler, req.targetIndex),
    val: prepare(val.inputs, val.targets, scaler, req.targetIndex),
  };
}

/**
 * Every error text, declared once: id -> English template with `__name__` placeholders (the i18next syntax
 * Node-RED's catalogues use). The core builds its errors with {@link fail}, which keeps the English text as
 * the error's message (the CLI, logs and tests read it) and the id and values beside it; `npm run build`
 * writes these templates into each node's catalogue (nodes/locales/en-US/<node>.json, section `errors`), and
 * the node glue translates an error through RED._ by its id. To add a text: declare it here, raise it with
 * fail(code, id, params, status), run `npm run build`.
 */
import { ForecastError, type ErrorCode, type MessageParams } from './errors';

export const MESSAGES = {
  // core/base/validate.ts: a schema check, its reasons in ajv's words
  'validate.invalid': 'invalid __what__: __problems__',

  // core/serve/forecast-message.ts
  'predictInput.notWindow':
    'expected msg.payload to be a window message from the sequence windower ({type: "window", inputs: [[...]], ...}), got __got__',
  'predictInput.badStep': 'expected payload.step to be a number of ms from 0 to __max__, got __got__',
  'predictInput.badTimestamp':
    'expected timestamps in epoch ms within the Date range (|t| <= __max__), got __got__ at row __row__',
  'predictInput.badTimestampOfWindow':
    'expected timestamps in epoch ms within the Date range (|t| <= __max__), got __got__ at row __row__ of window __window__',
  'predictInput.timesNotFinite':
    "forecast times are not finite (origin __origin__, step __step__ ms): check the window's timestamps and step",

  // core/train/request.ts
  'trainRequest.notDataset': 'expected a dataset object, got __got__',
  'trainRequest.noFeatures': 'expected features as a non-empty array of names, got __got__',
  'trainRequest.targetNotFeature': 'target __target__ is not one of the features (__features__)',
  'trainRequest.badWindow': 'expected window >= 1, got __got__',
  'trainRequest.badHorizon': 'expected horizon >= 1 (training needs targets), got __got__',
  'trainRequest.specDiffers': 'cannot continue training "__name__": its spec differs from the data (__diff__)',

  // core/model/artifact.ts
  'artifact.weightBytes': 'weight data of __bytes__ bytes is not a whole number of float32 values',
  'artifact.notObject': 'expected a model artifact object, got __got__',
  'artifact.invalid': 'invalid model artifact: __problems__',
  'artifact.weightCount': 'the __type__ model needs __needed__ weight arrays, the artifact has __has__',
  'artifact.weightShape':
    'weight __index__ (__variable__): the model needs shape [__needed__], the artifact has __weight__ [__has__]',

  // glue: model names, stores, settings, the run queue
  'modelName.invalid': 'expected __expected__, got __got__',
  'config.invalid': 'invalid __node__ config: __problems__',
  'store.unavailable': "__operation__ in context store '__store__': __reason__",
  'store.unavailableThen': "__operation__ in context store '__store__': __reason__; __consequence__",
  'store.conflict': "CONFLICT: model '__name__' not stored in __location__: __reason__",
  'store.conflictTrained':
    "CONFLICT: model '__name__' not stored: this run trained version __trained__ but __location__ already holds version __stored__ (another node or Node-RED instance stored it while this one trained); the stored model is kept, and the trained one is in msg.artifact of this error message",
  'store.retrying':
    '__reason__; the trained model v__version__ is kept and retried until stored or the node closes (next try in __wait__ s); it is also in msg.artifact of this message',
  'queue.busy': '__what__ is already running; request rejected (overlap: reject). __hint__',

  // sequence-windower node
  'windowerNode.noReadings': 'expected msg.__property__ to hold an array of readings, got nothing (undefined)',
  'windowerNode.noReading':
    'expected msg.__property__ to hold a reading (a number, numbers or named numbers), got nothing (undefined)',
  'windowerNode.badTimestamp': 'expected msg.timestamp as epoch ms or an ISO 8601 string, got __got__',
  'windowerNode.storeTooSlow': 'expected at most __max__ messages waiting for the context store, got one more',

  // lstm-predict node
  'predictNode.noModel':
    "no model '__name__' in __location__: train one first (an lstm-train node with model name '__name__', same scope and store)",
  'predictNode.closed': 'the node was closed while the model loaded',
  'predictNode.specDiffers': "model '__name__' __differs__",
} as const;

export type MessageId = keyof typeof MESSAGES;

/** The placeholder names of a template: 'a __x__ b __y__' -> 'x' | 'y'. */
export type PlaceholdersOf<T extends string> = T extends `${string}__${infer P}__${infer Rest}`
  ? P | PlaceholdersOf<Rest>
  : never;

/** The values an id's template needs: every placeholder, no other (the compiler checks each call site). */
export type ParamsOf<I extends MessageId> = string extends (typeof MESSAGES)[I]
  ? 'a template must be one string literal (not joined with +): its placeholders are read from its type'
  : [PlaceholdersOf<(typeof MESSAGES)[I]>] extends [never]
    ? Record<string, never>
    : Record<PlaceholdersOf<(typeof MESSAGES)[I]>, string | number>;

const PLACEHOLDER = /__(\w+?)__/g;

/** The placeholder names of a template, in order (each once). */
export function placeholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** A template with its placeholders replaced by the values (a missing value stays visible as `__name__`). */
export function render(template: string, params: MessageParams): string {
  return template.replace(PLACEHOLDER, (all, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : all,
  );
}

/** The English text of an id with its values. */
export function message<I extends MessageId>(id: I, params: ParamsOf<I>): string {
  return render(MESSAGES[id], params as MessageParams);
}

/** A ForecastError whose text is the declared template `id` with `params`; `status` is the short status text. */
export function fail<I extends MessageId>(code: ErrorCode, id: I, params: ParamsOf<I>, status?: string): ForecastError {
  const values = params as MessageParams;
  return new ForecastError(code, render(MESSAGES[id], values), status, { id, params: values });
}

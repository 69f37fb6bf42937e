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
  // lstm-predict.ts
  'predictNode.closedBeforeForecast': 'the node was closed (redeploy or stop) before this message was forecast',

  // attention-inspector.ts
  'inspectorNode.notForecast':
    'expected msg.payload to be one forecast from lstm-predict with payload.attention ({weights: [N][L], timestamps, values}) or payload.attribution ({values: [L][F], ...}), got __got__',
  'inspectorNode.notText': 'expected payload.__k__ to be a text, got __got__',
  'inspectorNode.notNumber': 'expected payload.__k__ to be a finite number, got __got__',
  'inspectorNode.badTimestamp':
    'expected attention timestamps within the Date range (|t| <= __max__ ms), got __got__ at step __i__',

  // core/model/layer-math.ts
  'layerMath.badInteger': '__layer__: expected __key__ to be an integer from __min__ to __max__, got __got__',
  'layerMath.oneInput': 'expected one input tensor, got __got__',

  // core/model/attention.ts
  'attention.noArguments': 'AdditiveAttention: expected an object of arguments',
  'attention.badInputShape':
    'AdditiveAttention: expected input [batch, steps, units] with fixed steps and units, got [__shape__]',

  // core/model/gca.ts
  'gca.noArguments': 'GcaAttention: expected an object of arguments',
  'gca.badGate': 'GcaAttention: expected gate to be one of __gates__, got __got__',
  'gca.badInitialMemory': 'GcaAttention: expected initialMemory to be one of __memories__, got __got__',
  'gca.badFeatureAttention': 'GcaAttention: expected featureAttention to be true or false, got __got__',
  'gca.needsTwoInputs': 'GcaAttention: expected two inputs [states, window], got __got__',
  'gca.needsOneInput': 'GcaAttention: expected one input (the states), got __got__',
  'gca.badStatesShape': 'GcaAttention: expected states [batch, steps, units] with fixed steps and units, got [__h__]',
  'gca.badWindowShape': 'GcaAttention: expected window [batch, __h__, features], got [__x__]',
  'gca.featureAttentionInputs': 'GcaAttention: feature attention needs the inputs [states, window]',
  'gca.noLinearTerm': 'GCA builder: the highway path did not produce a linear term',

  // core/model/export.ts

  // core/serve/forecaster.ts
  'forecaster.notWindows':
    'expected an array of windows, each a window of __window__ rows x __featureCount__ features (__features__), got __got__',
  'forecaster.singleWindow':
    'expected an array of windows ([B][__window__][__featureCount__]), got a single __rows__ x __cols__ window; wrap it in an array',
  'forecaster.notWindow':
    'expected a window of __window__ rows x __featureCount__ features (__features__), got __got__',
  'forecaster.notWindowAt':
    'expected a window of __window__ rows x __featureCount__ features (__features__), got __got__ (window __index__)',
  'forecaster.wrongShape':
    'expected a window of __window__ rows x __featureCount__ features (__features__), got __rows__ x __cols__',
  'forecaster.wrongShapeAt':
    'expected a window of __window__ rows x __featureCount__ features (__features__), got __rows__ x __cols__ (window __index__)',
  'forecaster.notFinite':
    'got __got__ at row __row__, feature __feature__; expected finite numbers within float32 range (|x| <= 3.4e+38)',
  'forecaster.notFiniteAt':
    'got __got__ at row __row__, feature __feature__ (window __index__); expected finite numbers within float32 range (|x| <= 3.4e+38)',
  'forecaster.disposed': 'this forecaster was disposed',

  // core/serve/intervals.ts
  'intervals.badLevels': 'levels must be interval levels in % from 50 to 99.9, got __got__',

  // core/settings/model-name.ts
  'modelName.noTopic':
    "expected msg.topic to name the model (model name '__template__'): a text or number, as the model name contains {topic}, got __got__",
  'modelName.topicNotText':
    "expected msg.topic to name the model (model name '__template__'): a text or a finite number, got __got__",
  'modelName.topicTooLong':
    "expected msg.topic to name the model (model name '__template__'): at most __max__ characters, so that the model name stays within __nameMax__, got __got__",
  'modelName.topicNoLetter':
    "expected msg.topic to name the model (model name '__template__'): at least one letter or digit, got __got__",
  'modelName.envNotSet':
    "environment variable __name__ is not set (or empty): the model name '__setting__' needs it (set it in the flow, group or global environment, or in the environment of Node-RED)",
  'modelName.badTemplate': 'expected __expected__, optionally with __topic__, got __got__',
  'modelName.badTemplateFrom': "expected __expected__, optionally with __topic__, got __got__ (from '__setting__')",

  // core/settings/training.ts
  'training.badVersion': 'version must be an integer >= 1, got __got__',

  // core/train/train-data.ts
  'trainData.inputsNotArray': '__what__: expected inputs as an array of windows, got __got__',
  'trainData.targetsNotArray': '__what__: expected targets ([N][__h__][1]), got __got__',
  'trainData.targetCount': '__what__: expected one target block per window, got __got__ for __inputsCount__ windows',
  'trainData.windowShape': '__what__: expected window __i__ to be __l__ rows x __f__ features, got __got__ x __cols__',
  'trainData.notFinite': '__what__: window __i__ holds __v__; expected finite numbers',
  'trainData.badTargets':
    '__what__: expected the targets of window __i__ as __h__ rows of one finite number, got __got__',
  'trainData.noTargets':
    'expected a dataset with targets (set a horizon on the windower), got __got__ windows without targets',
  'trainData.windowNoTargets':
    "expected a training window with targets (the windower's second output, horizon > 0), got a window without targets",
  'trainData.unlikeCollected':
    'expected windows like the __size__ collected (L __mWindow__, H __mHorizon__, features __mFeatures__, target __mTarget__), got L __window__, H __horizon__, features __features__, target __target__; send msg.reset to start over',
  'trainData.nothingCollected': 'expected collected training windows or a dataset, got none yet',
  'trainData.seriesIdCount': '__what__: expected one series id per window (__n__), got __got__',
  'trainData.seriesIdNotText': '__what__: series id of window __i__: expected a text, got __got__',

  // core/train/linear-start.ts
  'linearStart.shapeDiffers':
    'cannot start from the linear model: highway kernel [__kernel__], ridge [__inputs__, __outputs__]',
  'split.tooFewWindows':
    'not enough windows: need at least __min__ for training and 1 for validation, got __train__ + __validation__',
  'split.tooFewWindowsSplit':
    'not enough windows: need at least __min__ for training and 1 for validation, got __train__ + __validation__ (__windows__ windows split by validationFraction __fraction__)',
  'epochs.diverged':
    'training diverged at epoch __epoch__ (loss __loss__, validation loss __valLoss__); try a lower learning rate',
  'linearStart.noLayer':
    "cannot start from the linear model: the __serveName__ model has no layer '__name__' (layers: __names__)",

  // core/train/ridge.ts

  // core/train/epochs.ts
  'training.cancelled': 'training was cancelled',

  // core/train/runner.ts
  'runner.beyondFloatRange':
    '__what__: the __part__ of window __window__ hold a number beyond the float32 range (about ±3.4e38); expected finite float32 numbers',
  'runner.timeLimit':
    'training stopped after the time limit of __minutes__ min (__seconds__ s, __setting__); the stored model is unchanged. Train on fewer windows or epochs, or raise the limit',
  'runner.outOfMemory':
    'training worker ran out of memory (limit __mb__ MB, __setting__); the stored model is unchanged. Train on fewer windows (Keep windows) or a smaller model, or raise the limit',
  'runner.outOfHeap':
    "training worker ran out of memory (Node's default heap limit); the stored model is unchanged. Train on fewer windows (Keep windows) or a smaller model, or raise the limit",
  'trainer.failed': 'training failed: __reason__',
  'forecaster.forecastNotFinite':
    "model '__name__' produced a non-finite forecast (__got__ at step __index__ of window __window__); check the inputs are in the range the model was trained on, or retrain it",
  'forecaster.attentionNotFinite':
    "model '__name__' produced a non-finite attention (__got__ at weight __index__ of window __window__); check the inputs are in the range the model was trained on, or retrain it",
  'forecaster.featureAttentionNotFinite':
    "model '__name__' produced a non-finite feature attention (__got__ at weight __index__ of window __window__); check the inputs are in the range the model was trained on, or retrain it",
  'runner.workerFailed': 'training worker failed: __reason__',
  'runner.cancelledTerminated': 'training was cancelled (worker terminated)',
  'runner.workerExited': 'training worker exited with code __exitCode__ before it reported a result',

  // core/data/csv.ts
  'csv.badDelimiter': 'CSV delimiter must be one character other than a quote or line break, got __got__',
  'csv.strayQuote':
    'CSV line __line__: a quote inside an unquoted field (quote the whole field and double inner quotes)',
  'csv.afterClosingQuote': 'CSV line __line__: unexpected __c__ after a closing quote',
  'csv.unclosedQuote': 'CSV line __quoteLine__: a quoted field is never closed',
  'csv.empty': 'CSV is empty: expected a header row and data rows',
  'csv.headerNoName': 'CSV header: column __value__ has no name',
  'csv.headerTwice': "CSV header: column '__h__' appears twice",
  'csv.rowFieldCount': 'CSV row __value__: expected __headerCount__ fields like the header, got __got__',
  'csv.noColumn': "column '__name__' not found; available columns: __tableHeader__",
  'csv.notNumber': "row __value__, column '__name__': expected a number, got __got__",
  'csv.notTime':
    "row __value__, column '__name__': expected an ISO date (2020-04-01 or 2020-04-01T13:00:00Z) or epoch ms, got __got__",

  // core/data/conformal.ts
  'conformal.badProbability': 'expected a probability in (0, 1), got __got__',

  // core/data/windower.ts
  'windower.invalidConfig': 'invalid windower config: __reason__',
  'windower.targetNotFeature':
    "invalid windower config: target '__target__' must be one of the input features (__sel__)",
  'windower.badTimestamp':
    'series __seriesKey__: expected msg.timestamp as epoch ms or an ISO 8601 string, got __got__',
  'windower.sameTime':
    'series __series__: expected a timestamp after __prev__, got __got__ again: equal timestamps are rejected (Duplicates); choose keep-last or keep-first to accept them',
  'windower.timeBackwards':
    'series __series__: expected a timestamp after __prev__, got __got__ (timestamps must increase)',
  'windower.batchSameTime':
    'batch mode, reading __index__: expected a time after __prev__, got __got__ (readings must be in increasing time order; equal times are rejected (Duplicates))',
  'windower.batchBackwards':
    'batch mode, reading __index__: expected a time after __prev__, got __got__ (readings must be in increasing time order)',
  'windower.datasetTooLarge':
    'batch mode: expected at most __max__ numbers in a dataset (maxDatasetValues), got __windows__ windows x __window__ x __features__ = __got__',
  'windower.windowTooLarge':
    'batch mode: expected at most __max__ numbers in a dataset (maxDatasetValues), got __windows__ windows x __window__ x __features__ = __got__ (one window alone is larger)',
  'windower.batchNotArray':
    'batch mode: expected msg.__property__ as an array of readings (numbers, arrays or objects), got __got__',
  'windower.batchEmpty': 'batch mode: expected at least one reading, got an empty array',
  'windower.batchTooLong': 'batch mode: expected at most __maxBatch__ readings (maxBatch), got __got__',
  'windower.batchBadTime':
    "batch mode, reading __i__: expected '__timeField__' as epoch ms or an ISO 8601 string, got __got__",
  'windower.batchNoneValid': 'batch mode: expected at least one valid reading, got none of __listCount__',
  'windower.batchNoTimeField': "batch mode: expected a time field '__timeField__' in each reading, got __got__",
  'windower.tooManySeries': 'expected at most __maxSeries__ series (maxSeries), got a new series __newSeries__',
  'windower.tooManyFeatures':
    '__where__expected at most __maxFeatures__ features per reading (maxFeatures), got __got__',
  'windower.singleValue': '__where__expected __selCount__ features (__sel__) per reading, got a single value',
  'windower.emptyReading': '__where__expected a reading with at least one value, got an empty array',
  'windower.featureIndexMissing':
    '__where__expected a reading with at least __value__ values (feature index __bad__), got __got__',
  'windower.tooFewValues': '__where__expected __selCount__ values (__sel__) per reading, got __got__',
  'windower.featuresMissing': '__where__expected features __keys__ in each reading, got __got__ (missing __missing__)',
  'windower.noNumericField': '__where__expected an object with at least one numeric field, got __got__',
  'windower.badReading':
    '__where__expected a reading as a number, an array of numbers or an object of named numbers, got __got__',
  'windower.targetMissing':
    "__where__expected the target '__t__' among the features (__features__), got readings without it",
  'windower.notSingleNumber': '__ctx__expected a single number like the earlier readings, got __got__',
  'windower.notArrayLikeBefore': '__ctx__expected an array of __arity__ numbers like the earlier readings, got __got__',
  'windower.arityChanged': '__ctx__expected __arity__ values per reading, got __got__',
  'windower.notObjectLikeBefore': '__ctx__expected an object with __features__ like the earlier readings, got __got__',
  'windower.notFinite': '__ctx__expected numbers for __features__ (finite, |x| <= 3.4e+38), got __got__',

  // core/data/scaler.ts
  'scaler.seasonsDoNotFit':
    'the seasonal reference needs __scalerSeasons__ seasons of __scalerSeason__ steps back in a window of __window__ rows with horizon __horizon__, only __fit__ fit',
  'scaler.badSeason': 'the seasonal naive reference needs a season of 1 .. __window__ steps (the window), got __got__',
  'scaler.nothingToFit':
    'cannot fit a scaler: expected at least one window with rows and features, got __got__ windows',
  'scaler.featureCount': 'the scaler has __meanCount__ features, the windows have __f__',
  'scaler.badTargetIndex': 'target index __targetIndex__ is outside the __f__ features',
  'scaler.noHoltWinters': 'the holt-winters reference needs its parameters (scaler.hw), none given',
  'scaler.badMix': 'a combination reference needs 1 to __max__ parts, none of them a combination, got __got__ parts',
  'scaler.forecastCount': 'expected __n__ x __horizon__ scaled forecasts, got __got__ values',
  'scaler.referenceCount': 'expected __n__ x __horizon__ references, got __got__ values',

  // core/base/arrays.ts
  'arrays.badLength': 'expected __value__ values for __n__ x __a__ x __b__, got __got__',

  // core/analysis/anomaly.ts
  'anomaly.tooFewTrainRows': 'the naive detector needs at least 2 train rows',
  'anomaly.faultsDoNotFit': '__kindsCount__ faults do not fit in __value__ rows (need __need__)',

  // core/analysis/evaluate.ts
  'evaluate.tooManySeries': "more than __max__ series in column '__series__'",
  'evaluate.seriesFailed': "series '__id__': __reason__",
  'evaluate.timeOrder':
    "row __row__, column '__column__': expected times in increasing order, got __got__ after __prev__",
  'evaluate.badLabel': "row __value__, column '__name__': expected an anomaly label 0 or 1, got __got__",
  'evaluate.rangeNeedsTime': 'a time range (from/to) needs a time column',
  'evaluate.badSize': '__what__ size must be a fraction between 0 and 1 or a whole number of rows, got __got__',
  'evaluate.tooFewRows':
    'too few rows: the __part__ part has __rows__ of __n__ rows, needs at least __min__ (__why__); use a longer series, a smaller window/horizon or other split sizes',
  'evaluate.unknownModel': 'unknown model __raw__; expected lstm, attention, gca, gca1, gca2, gca3 or all',
  'evaluate.noModel': 'no model given; expected lstm, attention, gca or all',
  'evaluate.badSeeds': 'seeds must be a count (3) or a list (0,1,2), got __got__',
  'evaluate.notWholeNumber': '__name__ must be a whole number >= __min__, got __got__',
  'evaluate.targetNotFeature': "target '__seriesTarget__' is not one of the features (__features__)",
  'evaluate.seriesFailedCheck': "series '__seriesId__': __reason__",
  'evaluate.noSeries': 'no series to evaluate: the CSV has no data rows',
  'evaluate.badThreshold': 'threshold must be a number above 0 and at most 1000, got __got__',
  'evaluate.labelsNeedStride': 'labels score every test row: stride must be 1, got __got__',

  // core/analysis/attention-report.ts
  'attentionReport.badTimestamp': 'expected a timestamp (epoch ms, ISO 8601 or Date), got __got__',

  // core/analysis/attribution.ts
  'attribution.tooLarge':
    'expected horizon x steps x window x features <= __max__ for an attribution, got __got__ x __m__ x __l__ x __f__',
  'attribution.notFinite':
    'the attribution of this forecast is not finite (the gradients overflowed); check the inputs are in the range the model was trained on',

  // lstm-train.ts
  'trainNode.noModelToExport': "no model '__atName__' stored in __describeLocation__ to export",

  // node entry points (lstm-train, lstm-predict, attention-inspector)
  'trainNode.tooManyModels':
    "expected at most __max__ models per node (maxModels setting), got a message for a new model '__name__' while __count__ are in use (__names__); the message is refused and their windows are kept (msg.reset with a topic frees an idle model)",
  'trainNode.notWindow':
    'expected msg.payload to be a dataset or a training window from the sequence windower (type "dataset" / "window"), or msg.train / msg.stop / msg.reset, got __got__',
  'predictNode.tooManyWaiting':
    "__max__ messages are already waiting for model '__name__' or a batch; this one was not forecast (send fewer at once, or check the store answers)",
  'inspectorNode.attributionOff':
    "expected a forecast with attention weights, or this node's 'show attribution' setting on to inspect a forecast by its attribution; got a forecast of model '__model__' with an attribution and the setting off",
  'inspectorNode.noAttention':
    "expected a forecast with attention weights or an attribution (turn on lstm-predict's 'attribution' setting for any model, or train the model with type 'attention' or 'gca'), got a forecast of model '__model__' without either",
  'inspectorNode.badAttentionNames':
    'expected attention.features to be the feature names (at most __max__ texts of at most __chars__ characters) beside featureWeights, got __got__',
  'inspectorNode.badAttributionNames':
    'expected attribution.features to be the feature names (at most __max__ texts of at most __chars__ characters), got __got__',
  'inspectorNode.tooManySteps': 'expected at most __max__ timestamps (window steps), got __got__',
  'inspectorNode.attributionTooLarge': 'expected an attribution of at most __steps__ steps x __features__ features',
  'inspectorNode.tooManyRows': 'expected at most __max__ attention rows (iterations), got __got__',
  'inspectorNode.rowTooLong': 'expected at most __max__ attention weights per row (window steps)',
  'inspectorNode.featureStepsTooMany': 'expected at most __max__ steps of feature attention',
  'inspectorNode.featureCellsTooMany': 'expected at most __max__ feature attention weights',
  // core/train/ridge.ts
  'ridge.rowLength': 'ridge: expected __what__ row __i__ to have __cols__ values, got __got__',
  'ridge.matrixSize': 'ridge: expected __what__ as __mRows__ x __mCols__ = __value__ values, got __got__',
  'ridge.targetRows': 'ridge: expected one target row per input row, got __got__ for __n__',
  'ridge.empty': 'ridge: expected at least 1 row, 1 input and 1 output, got __got__ x __d__ -> __h__',
  'ridge.badAlpha': 'ridge: expected alpha to be a finite number >= 0, got __got__',
  'ridge.singular': 'ridge: X^T X + __alpha__ I is singular (collinear inputs?); use a larger alpha',
  'ridge.inputCount': 'ridge: expected __d__ inputs per row, got __got__',
  'ridge.noAlpha': 'ridge: expected at least one alpha',
  'ridge.validationRows':
    'ridge: expected validation X and Y with the same number of rows (>= 1), got __got__ and __yvRows__',
  'ridge.validationOutputs': 'ridge: expected __momentsOutputs__ validation outputs per row, got __got__',
  'ridge.noFiniteAlpha': 'ridge: no alpha of __alphas__ gave a finite validation error',

  // core/model/export.ts
  'export.noManifest': 'import: expected model.json to have a weightsManifest array, got __got__',
  'export.noWeightsArray': 'import: expected every weightsManifest entry to have a weights array, got __got__',
  'export.badWeightSpec': 'import: expected a weight spec {name, shape, dtype}, got __got__',
  'export.badDtype': "import: weight '__wName__': expected dtype float32, got __got__",
  'export.modelJsonNotObject': 'import: expected model.json to be an object, got __got__',
  'export.noTopology': 'import: expected model.json to have a modelTopology object, got __got__',
  'export.badFormat': "import: expected __file__ with format '__format__', got __got__",
  'export.weightBytes':
    'import: the weights manifest needs __needed__ bytes, the weights file has __weightsBinByteCount__',

  // core/analysis/attention-report.ts
  'attentionReport.emptyRow': 'expected __what__ to be a non-empty array of numbers, got __got__',
  'attentionReport.rowLength': 'expected __what__ to have __count__ entries, got __got__',
  'attentionReport.badWeight': 'expected __what__[__i__] to be a finite number >= 0, got __got__',
  'attentionReport.notSumOne': 'expected __what__ to sum to 1, got __got__',
  'attentionReport.badWeights': 'expected attention weights [iterations][steps], got __got__',
  'attentionReport.timestampCount': 'expected __l__ timestamps (one per step of the window), got __got__',
  'attentionReport.valueCount': 'expected __l__ values (one per step), got __got__',
  'attentionReport.stepCount': 'expected __what__ to have __l__ steps (one per step of the window), got __got__',
  'attentionReport.notFiniteCell': 'expected __what__[__j__][__i__] to be a finite number, got __got__',
  'attentionReport.stepWidth': 'expected __what__ step __j__ to hold __f__ numbers, got __got__',
  'attentionReport.stepEmpty': 'expected __what__ step __j__ to hold one or more numbers, got __got__',
  'attentionReport.noSteps': 'expected an attribution {values: [L][F]} with at least one step, got __got__',
  'attentionReport.notAttribution': 'expected an attribution {values: [L][F]}, got __got__',
  'attentionReport.linearFeatures': 'expected attribution.linear to have __count__ features, got __got__',
  'attentionReport.featureMapCount': 'expected a feature map of __n__ iterations, got __got__',
  'attentionReport.featureMapSteps': 'expected the feature map to have __l__ steps, got __got__',

  // core/train/train-data.ts
  'trainData.windowNotCount': 'window: expected __what__ as a positive integer, got __got__',
  'trainData.windowFeatures': 'window: expected features as a list of names, got __got__',
  'trainData.windowTarget': 'window: target __wTarget__ is not one of the features (__features__)',
  'trainData.windowStep': 'window: expected step as a number of ms >= 0, got __got__',
  'trainData.windowSeries': 'window: expected series as a text, got __got__',
  'trainData.windowInputs': 'window: expected __rows__ rows x __featureCount__ features (__features__), got __got__',
  'trainData.windowInputRow':
    'window: expected __rows__ rows x __featureCount__ features (__features__), got row __row__ of __length__',
  'trainData.windowNotFinite':
    'window: got __got__ at row __r__, feature __features__; expected finite numbers within float32 range',
  'trainData.windowTargets': 'window: expected __h__ targets of one finite number, got __got__',
  'trainData.windowTargetValue': 'window: target __h__ is __v__; expected a finite float32 number',
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

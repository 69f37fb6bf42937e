/** attention-inspector's settings. */
import { defaultsOf, type SettingsGroup, type Values } from './declare';

export const INSPECTOR_NODE_SETTINGS = {
  topK: { type: 'integer', minimum: 1, maximum: 100, default: 5, help: 'How many of the most attended steps to list.' },
  title: {
    type: 'string',
    default: '',
    maxLength: 200,
    help: "Title of the heat map; empty = the model's name and version.",
  },
  attribution: {
    type: 'boolean',
    default: true,
    help:
      "Show the forecast's attribution to the window when the forecast carries one (lstm-predict's attribution " +
      'setting): numbers, a chart series and a heat map panel beside the attention, or alone for a model without ' +
      'attention.',
  },
} as const satisfies SettingsGroup;

export type InspectorNodeSettings = Values<typeof INSPECTOR_NODE_SETTINGS>;

export const DEFAULT_INSPECTOR_NODE_SETTINGS: Readonly<InspectorNodeSettings> = Object.freeze(
  defaultsOf(INSPECTOR_NODE_SETTINGS),
);

/** Pure helpers of the apply form's model picker: which model a row's value names, how a model reads. */
import type { Model } from "./api";

/** The file every model folder holds; Apply Patchwork names `<folder>/model_patchwork.json`. */
export const MODEL_FILE = "model_patchwork.json";

/** The value an apply job's `model` row takes for a model. */
export function modelValue(model: Model): string {
  return `${model.folder}/${MODEL_FILE}`;
}

/** The model a row's value names (its folder, with or without the JSON's name), or undefined. */
export function modelOf(models: readonly Model[], value: string): Model | undefined {
  const text = value.trim().replace(/\/+$/, "");
  const folder = text.endsWith(`/${MODEL_FILE}`) ? text.slice(0, -MODEL_FILE.length - 1) : text;
  return models.find((m) => m.folder === folder);
}

/** One line about a model: name, version, its inputs in order and its labels, the last validation Dice. */
export function describeModel(model: Model): string {
  const dice = model.figures["dice"];
  const score = typeof dice === "number" ? `, Dice ${dice.toFixed(3)}` : "";
  return `${model.name} v${model.version}: ${model.contrasts.map((c, i) => `contrast${i + 1} ${c}`).join(", ")}` +
    ` → ${model.labels.map((l, i) => `label ${i + 1} ${l}`).join(", ")}${score}`;
}

/** Where a model comes from: its creator and training data (the models list's provenance, in one line). */
export function aboutModel(model: Model): string {
  const studies = (n: number) => `${n} ${n === 1 ? "study" : "studies"}`;
  const by = model.creator ? `by ${model.creator}, ` : "";
  return `${by}trained on ${studies(model.training.length)}, ${model.validation.length} held out` +
    `, ${model.updated_at.slice(0, 10)}`;
}

/** A model's training parameters in one line (`depth 2, patch 16, ...`), for the picker's tooltip. */
export function modelParams(model: Model): string {
  return Object.entries(model.params).map(([name, value]) => `${name} ${String(value)}`).join(", ");
}

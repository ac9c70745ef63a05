// Whether a model can classify a dataset's images: the same pixel count per image and the same classes.
import { usageError } from '../errors.js';

/** Refuses a model whose pixels per image or class count differ from the data's; `who` names the model in the message. */
export function checkModelFits(who: string, model: { inputs: number; classes: number }, data: { features: number; classes: number; source: string }): void {
  if (model.inputs !== data.features || model.classes !== data.classes)
    throw usageError(`${who} takes ${model.inputs} pixels and gives ${model.classes} classes; ${data.source} has ${data.features} pixels and ${data.classes} classes`);
}

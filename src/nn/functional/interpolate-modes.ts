/** interpolate's modes, shared by F.interpolate and nn.Upsample (not re-exported by nn.functional). */

/** The modes interpolate has. */
export const INTERPOLATE_MODES = ['nearest', 'nearest-exact', 'linear', 'bilinear'] as const;

/** Modes PyTorch has that webgrad refuses, with why (also in docs/nn.md). */
export const INTERPOLATE_NOT_DONE: Record<string, string> = {
  bicubic: 'bicubic (4 x 4 taps) is not implemented in webgrad yet',
  trilinear: 'trilinear needs 5-D [N, C, D, H, W] inputs, which webgrad does not resample yet',
  area: 'area is adaptive average pooling: use F.adaptiveAvgPool2d (or F.adaptiveAvgPool1d) for it',
};

/** Refuses a mode webgrad does not have, saying why, before the generic choice check. */
export function refuseNotDone(op: string, mode: unknown): void {
  if (typeof mode === 'string' && Object.prototype.hasOwnProperty.call(INTERPOLATE_NOT_DONE, mode)) {
    throw new Error(`${op}: mode '${mode}' is not supported: ${INTERPOLATE_NOT_DONE[mode]}`);
  }
}

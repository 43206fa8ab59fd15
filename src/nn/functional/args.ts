/** The functional ops' check for arguments past their last parameter (shared: core/options.ts). */
export { noExtra } from '../../core/options.js';

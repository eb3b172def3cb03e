/**
 * The widget module's name and version: one constant for the kernel side and the front end, read from
 * this package's package.json (the front-end bundlers inline it). The CDN loaders of HTML exports and
 * VS Code map a module `<package>/<file>` to `<package>@<version>/dist/<file>.js`, so this name finds
 * the AMD bundle at `dist/widgets/frontend.js` of the npm package (beside the library's own dist/; a
 * `dist/widgets.js` would shadow `require('./widgets')`).
 */
// A plain require: the JSON lies outside src/, and both tsc (dist/widgets/module.js) and esbuild
// (src/widgets/module.ts) resolve ../../package.json to the package's root.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg: { name: string; version: string } = require('../../package.json');

/** `_model_module` / `_view_module` of every saliency-lab widget, and the front end's registered name. */
export const MODULE_NAME = `${pkg.name}/widgets/frontend`;
/** The exact version the front end registers (the package's). */
export const MODULE_VERSION = pkg.version;
/** The semver range the kernel asks for: any compatible front end (`^` as the widget cookiecutter does). */
export const MODULE_SEMVER = `^${pkg.version}`;
/** Widget protocol version (`metadata.version` of comm_open). */
export const PROTOCOL_VERSION = '2.1.0';
/** Comm target of widget models. */
export const WIDGET_TARGET = 'jupyter.widget';
/** Comm target of the widget control channel (bulk `request_states`). */
export const CONTROL_TARGET = 'jupyter.widget.control';
/** @jupyter-widgets/base's module for the base model attributes. */
export const BASE_MODULE = '@jupyter-widgets/base';
export const BASE_MODULE_VERSION = '2.0.0';

/**
 * The JupyterLab 4 / Notebook 7 plugin: registers the widget module with the widget manager of
 * `@jupyter-widgets/jupyterlab-manager` (shared as a singleton, not bundled).
 */
import { IJupyterWidgetRegistry } from '@jupyter-widgets/base';
import { MODULE_NAME, MODULE_VERSION } from '../module';
import * as widgets from './index';

export interface Plugin {
  id: string;
  requires: unknown[];
  autoStart: boolean;
  activate(app: unknown, registry: IJupyterWidgetRegistry): void;
}

const plugin: Plugin = {
  id: `${MODULE_NAME}:plugin`,
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate(_app, registry) {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: widgets as never });
  },
};

export default plugin;

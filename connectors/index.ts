// Every connector of this build. Adding a connector is adding its folder and one line here.
import type { Connector } from '../src/activities/connector.js';
import { control } from './control/index.js';
import { postgres } from './postgres/index.js';
import { transformConnector } from './transform/index.js';

export const connectors: readonly Connector[] = [postgres, transformConnector, control];

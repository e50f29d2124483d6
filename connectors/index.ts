// Every connector of this build. Adding a connector is adding its folder and one line here.
import type { Connector } from '../src/kit/index.js';
import { control } from './control/index.js';
import { csv } from './csv/index.js';
import { jsonl } from './jsonl/index.js';
import { databricks } from './databricks/index.js';
import { http } from './http/index.js';
import { postgres } from './postgres/index.js';
import { s3 } from './s3/index.js';
import { transformConnector } from './transform/index.js';

export const connectors: readonly Connector[] = [postgres, transformConnector, control, http, databricks, csv, jsonl, s3];

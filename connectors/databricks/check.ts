// databricks.read's check: reads the warehouse's description, which proves the host, the token and
// the warehouse id without starting the warehouse or running SQL.
import { ConfigError, type ConnectorContext } from '../../src/kit/index.js';
import { TransientHttpError } from '../../src/kit/http/client.js';
import { StatementApi } from './api.js';
import type { DatabricksReadConfig } from './schema.js';

export async function check(config: DatabricksReadConfig, ctx: ConnectorContext): Promise<void> {
  try {
    const warehouse = await new StatementApi(config, ctx).warehouse();
    ctx.log.info({ warehouseState: warehouse.state ?? 'unknown' }, 'Databricks warehouse reachable');
  } catch (err) {
    if (err instanceof TransientHttpError) throw new ConfigError(`config.host: ${err.message}`);
    throw err;
  }
}

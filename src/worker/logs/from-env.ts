// A worker's log shipping from its configuration: SLUICE_API_URL and SLUICE_LOG_KEY turn it on, the
// site policy may turn it off (then the worker tells the API so once, and ships nothing).
import type { Config } from '../../config.js';
import { placeOf } from '../../dag/vocabulary.js';
import type { SitePolicy } from '../../kit/access.js';
import type { Logger } from '../../log.js';
import { announceNotShipping, LogShipper } from './shipper.js';

type ShippingConfig = Pick<Config, 'SLUICE_API_URL' | 'SLUICE_LOG_KEY' | 'SLUICE_LOG_BUFFER_DIR' | 'SLUICE_LOG_BUFFER_SIZE'>;

/** The shipper this worker uses, or null when it keeps its logs (not configured, or its policy says so). */
export async function startLogShipping(config: ShippingConfig, site: string | undefined, policy: SitePolicy, logger: Logger): Promise<LogShipper | null> {
  const { SLUICE_API_URL: apiUrl, SLUICE_LOG_KEY: key } = config;
  if (!apiUrl || !key) {
    if (apiUrl || key) logger.warn('set both SLUICE_API_URL and SLUICE_LOG_KEY to ship node logs to the API; they stay in this worker\'s output');
    return null;
  }
  const common = { apiUrl, key, site: placeOf(site), dir: config.SLUICE_LOG_BUFFER_DIR, logger };
  if (policy.shipLogs === false) {
    logger.info('the site policy keeps node logs on this worker (logs.ship: false): none are sent to the API');
    announceNotShipping(common).catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'could not tell the API that this site keeps its logs'));
    return null;
  }
  const shipper = await LogShipper.start({ ...common, maxBytes: config.SLUICE_LOG_BUFFER_SIZE });
  logger.info({ apiUrl, buffer: config.SLUICE_LOG_BUFFER_DIR, bufferBytes: config.SLUICE_LOG_BUFFER_SIZE, source: shipper.sourceId }, 'shipping node logs to the API');
  return shipper;
}

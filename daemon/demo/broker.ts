/**
 * The demo's MQTT broker: aedes in-process on 127.0.0.1, a port chosen at start, so the demo
 * needs no Mosquitto. It only exists for the demo; anything may connect (loopback only).
 */
import { Aedes } from 'aedes';
import { createServer, type AddressInfo } from 'node:net';

export interface DemoBroker {
  /** `mqtt://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export async function startDemoBroker(): Promise<DemoBroker> {
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: async () => {
      // Closing aedes ends every client connection; then the listener can close.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

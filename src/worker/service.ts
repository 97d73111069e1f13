import type { Listener, MnemoApi, ScopedApi } from '../shared/api';
import type { Scope } from '../shared/models';

/** The API object behind `Comlink.expose`, with its extra event calls. */
export interface MnemoService extends MnemoApi {
  space(scope: Scope): ScopedApi;
  subscribe(listener: Listener): Promise<number>;
  unsubscribe(id: number): Promise<boolean>;
}

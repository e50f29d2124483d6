// The signed-in caller: key, typed client and role, shared with every page. A 401 anywhere (the
// key was revoked or expired) signs out with the API's reason.
import { createContext, useCallback, useContext, useEffect, useRef, useState, type DependencyList } from 'react';
import { ApiProblem, clientFor, roleAllows, unwrap, type Role, type Schemas, type SluiceClient } from './api.js';

export interface Session {
  key: string;
  client: SluiceClient;
  me: Schemas['Whoami'];
  /** Whether the caller's role may do what `needed` may. */
  can(needed: Role): boolean;
  /** Sign out, showing `why` on the sign-in page. */
  signOut(why?: string): void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Checks `key` against the API (GET /whoami) and returns the session's parts. */
export async function checkKey(key: string): Promise<Pick<Session, 'key' | 'client' | 'me' | 'can'>> {
  const client = clientFor(key);
  const me = unwrap(await client.GET('/api/v1/whoami'));
  return { key, client, me, can: (needed: Role) => roleAllows(me.role, needed) };
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on reload()); a 401 signs out. Stale answers are dropped. */
export function useLoad<T>(load: (client: SluiceClient) => Promise<T>, deps: DependencyList): Loaded<T> {
  const session = useSession();
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  useEffect(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load(session.client).then(
      (data) => mine === generation.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => {
        if (mine !== generation.current) return;
        if (error instanceof ApiProblem && error.status === 401) session.signOut(`Signed out: ${error.message}`);
        setState({ data: undefined, error, loading: false });
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick, session.client]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

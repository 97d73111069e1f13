import { createContext } from '@lit/context';
import type { MnemoClient } from '../client';
import type { Scope } from '../shared/models';

export const mnemoContext = createContext<MnemoClient>(Symbol('mnemo-client'));
export const scopeContext = createContext<Scope>(Symbol('mnemo-scope'));

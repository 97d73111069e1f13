import { fail } from '../../shared/errors';

/** Every refused import or restore: one code, a specific reason, and the promise that nothing changed. */
export function rejectImport(reason: string): never {
  fail('IMPORT_REJECTED', `import rejected: ${reason}; the current database was not changed`);
}

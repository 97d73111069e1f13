/** Folder under src/ → folders under src/ its modules may import. */
export declare const ALLOWED: Record<string, string[]>;
/** Folder under src/ → package specifiers its modules must not import. */
export declare const FORBIDDEN_PACKAGES: Record<string, RegExp[]>;
/** Every module specifier a file names (static, type-only and literal dynamic imports, re-exports). */
export declare function specifiers(file: string, text: string): string[];
/** The import-graph problems of `<root>/src` as sentences; empty when clean. */
export declare function checkImports(root: string): string[];

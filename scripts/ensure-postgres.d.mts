export function postgresBinDir(): string | null;

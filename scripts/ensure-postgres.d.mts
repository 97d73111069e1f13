export declare function postgresBinDir(): string | null;

export interface Cluster {
  /** Connection URL of the cluster's `postgres` database as the superuser `mnemo`. */
  url: string;
  port: number;
  stop(): void;
}
export declare function startCluster(): Promise<Cluster>;

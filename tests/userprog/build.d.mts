// Types for build.mjs (plain JS so it also runs as `node tests/userprog/build.mjs`).
export declare const PROGRAM_DIR: string;
export declare const OUT_DIR: string;
export declare const CFLAGS: string[];
export declare function programNames(): string[];
/** Functions of `bin` containing x87/MMX/SSE instructions, with up to three of them each. */
export declare function fpFunctions(bin: string): Record<string, string[]>;
/** Builds missing or stale programs; throws naming the Debian package musl-tools if musl-gcc is missing. */
export declare function ensurePrograms(): Record<string, { bin: string; fp: Record<string, string[]> }>;

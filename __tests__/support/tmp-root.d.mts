export declare const RUN_PREFIX: string
export declare const RUN_ROOT_VARIABLE: string
export declare const TEST_PREFIXES: string[]
export declare function setup(): Promise<void>
export declare function teardown(): void

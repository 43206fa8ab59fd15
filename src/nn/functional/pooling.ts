// webgrad.nn.functional: pooling (see index.ts).
export {};

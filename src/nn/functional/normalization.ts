// webgrad.nn.functional: normalization (see index.ts).
export {};

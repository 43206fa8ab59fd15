// webgrad.nn.functional: embedding (see index.ts).
export {};

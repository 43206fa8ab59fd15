// webgrad.nn.functional: losses (see index.ts).
export {};

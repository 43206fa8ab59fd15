// webgrad.nn.functional: activations (see index.ts).
export {};

// webgrad.nn.functional: conv (see index.ts).
export {};

// webgrad.nn.functional: dropout (see index.ts).
export {};

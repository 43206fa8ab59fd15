// webgrad.nn.functional: misc (see index.ts).
export {};

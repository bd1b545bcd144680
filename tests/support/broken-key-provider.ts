/** A module that throws while being loaded (a third party's plugin with a start-up bug). */
export {};
throw new Error('broken plugin: cannot initialise');

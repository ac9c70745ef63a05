// The page's one DOM helper: an element by id, typed by the caller.
export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

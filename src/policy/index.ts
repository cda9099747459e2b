// Pure MTA-STS policy logic: no Express, Knex or sockets here, so every rule is unit-testable.
export * from './types';
export * from './problems';
export * from './hostname';
export * from './mx';
export * from './validate';
export * from './render';
export * from './records';
export * from './id';
export * from './parse';
export * from './served';
export * from './json';
export * from './history';
export * from './bulk';

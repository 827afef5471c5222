// Text assets bundled with `import … with { type: 'text' }` (they are embedded in the compiled binary).
declare module '*.sql' {
  const text: string;
  export default text;
}
declare module '*.proto' {
  const text: string;
  export default text;
}

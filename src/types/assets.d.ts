// Text assets bundled with `import … with { type: 'text' }` (they are embedded in the compiled binary).
declare module '*.sql' {
  const text: string;
  export default text;
}
declare module '*.proto' {
  const text: string;
  export default text;
}
// Swagger UI assets imported with `with { type: 'file' }`: a path to the file, embedded in the
// compiled binary.
declare module 'swagger-ui-dist/swagger-ui-bundle.js' {
  const path: string;
  export default path;
}
declare module 'swagger-ui-dist/swagger-ui.css' {
  const path: string;
  export default path;
}

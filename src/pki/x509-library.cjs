// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill
// before the library loads. CommonJS on purpose: the page bundler splits ES modules into parts and
// may evaluate an `import '@peculiar/x509'` before a sibling `import 'reflect-metadata'`; these two
// requires always run in this order.
require('reflect-metadata');
module.exports = require('@peculiar/x509');

// Stands in for Next.js when a test starts server.ts without a production build (see
// record-loaded-modules.mjs): every page request is a plain 404; the portal's own endpoints are real.
export default function next() {
  return {
    async prepare() {},
    getRequestHandler() {
      return (_req, res) => {
        res.statusCode = 404;
        res.setHeader('content-type', 'text/plain');
        res.end('no pages in this process');
      };
    },
  };
}

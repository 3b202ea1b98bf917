/** HireDB's version, as in package.json (a test keeps the two equal); shown by `GET /` and `hiredb --version`. */
export const VERSION = '0.1.0';

// n8n loads this package's nodes and credentials from package.json#n8n, never from here.
module.exports = {};

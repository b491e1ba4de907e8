// Copies what tsc does not: icons and codex files, next to the compiled nodes.
const fs = require('node:fs');
const path = require('node:path');

fs.cpSync('icons', 'dist/icons', { recursive: true });
for (const folder of fs.readdirSync('nodes')) {
	for (const file of fs.readdirSync(path.join('nodes', folder))) {
		if (file.endsWith('.node.json')) {
			fs.mkdirSync(path.join('dist/nodes', folder), { recursive: true });
			fs.copyFileSync(path.join('nodes', folder, file), path.join('dist/nodes', folder, file));
		}
	}
}

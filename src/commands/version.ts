import { Flags } from '@oclif/core';
import { AlbertCommand } from './base.ts';

export default class Version extends AlbertCommand {
  static override summary = 'Print the version of albert (as --version does), of Node and of the platform.';
  static override flags = {
    json: Flags.boolean({ default: false, description: 'print one JSON document: name, version, node_version, platform, arch' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Version);
    const c = this.config;
    if (flags.json) {
      await this.writeStdout(`${JSON.stringify({ name: c.name, version: c.version, node_version: process.versions.node, platform: c.platform, arch: c.arch }, null, 2)}\n`);
    } else await this.writeStdout(`${c.userAgent}\n`);
  }
}
